"""`crm bench`: seed, serve, time every workload, measure the database's share, write the results.

    crm bench [--scale 1000000] [--reuse] [--requests 200] [--only KEYS] [--list]

SQLite by default (a fresh file, var/bench.sqlite3); PostgreSQL when DATABASE_URL points at one.
Timings are reported, never asserted: the exit status says only whether the run itself worked.
"""

from __future__ import annotations

import argparse
import datetime as dt
import fnmatch
import os
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.suite import database, targets
from bench.suite.catalogue import Group
from bench.suite.results import MET, MISSED, NOT_JUDGED, REPORTED, SKIPPED, WorkloadResult, markdown, write
from bench.suite.server import ROOT, Session, crm_server

RESULTS = ROOT / "bench" / "results"
# Workloads timed in-process or as a command rather than through HTTP: key, title, target (None: reported only).
RUN_WORKLOADS: list[tuple[str, str, targets.Target | None]] = [
    ("seed", "Seed the database: crm demo --scale N", targets.SEED),
    ("scan_stalled_deals", "Stalled-deal check (hourly job)", targets.SCAN),
    ("scan_neglected_customers", "Neglected-customer check (hourly job)", targets.SCAN),
    ("import_leads", "Import leads with duplicate checks vs a raw bulk insert", targets.IMPORT),
    ("scan_duplicate_pairs", "Duplicate scan of every customer and every contact", None),
]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="crm bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=int, default=1_000_000, help="demo customers (default 1,000,000)")
    parser.add_argument("--reuse", action="store_true", help="measure an already seeded database again")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per HTTP workload (default 200)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests before them (default 20)")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="KEYS",
        help="comma-separated workload keys, kinds (list, api, search, detail, kanban, report, duplicate, run) "
        "or patterns such as 'customers_*'; the seed always runs when the database is empty",
    )
    parser.add_argument("--import-rows", type=int, default=100_000, help="rows the import workload imports")
    parser.add_argument("--db", type=Path, default=None, help="SQLite file (default var/bench.sqlite3)")
    parser.add_argument(
        "--workers", type=int, default=2 * (os.cpu_count() or 1) + 1, help="gunicorn workers (2 × CPUs + 1)"
    )
    parser.add_argument("--no-db-time", action="store_true", help="skip replaying SQL for the database's share")
    parser.add_argument("--results", type=Path, default=RESULTS, help="folder for the JSON and Markdown")
    parser.add_argument("--delete-db", action="store_true", help="delete the SQLite file afterwards")
    parser.add_argument("--list", action="store_true", help="print the workloads and their targets, then stop")
    parser.add_argument(
        "--update-query-counts",
        action="store_true",
        help="(handled by `crm bench`) rewrite bench/query_counts.json for this database instead of a run",
    )
    return parser


def _selected(only: list[str]) -> list[str]:
    return [part.strip() for value in only for part in value.split(",") if part.strip()]


def _wanted(patterns: list[str], key: str, kind: str) -> bool:
    return not patterns or any(fnmatch.fnmatchcase(key, p) or p == kind for p in patterns)


def _setup_django(url: str) -> dict[str, str]:
    """Point this process (and the commands it starts) at the bench database, then set Django up."""
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings"}
    env.pop("DEBUG", None)  # DEBUG keeps every query in memory: not what production runs
    os.environ.update({"DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings"})
    os.environ.pop("DEBUG", None)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    return env


def _seed_result(seed: dict[str, Any]) -> WorkloadResult:
    result = WorkloadResult(key="seed", kind="run", title=RUN_WORKLOADS[0][1], user="-",
                            target=targets.SEED.describe())  # fmt: skip
    seconds = seed.get("seed_seconds")
    if seconds is None:
        result.reason = "reused a database whose seed time was not recorded"
        return result
    result.figures = {"seconds": seconds, "scale": seed.get("scale"), "reused": seed.get("reused")}
    result.summary = f"{seconds:,.0f} s ({seconds / 60:.1f} min)" + (", recorded when seeded" if seed["reused"] else "")
    result.database_summary = "not separable: the seed runs as its own process"
    result.status = MET if seconds < (targets.SEED.seconds or 0) else MISSED
    if seed.get("scale") != 1_000_000:
        result.note = f"seeded at scale {seed.get('scale'):,}; the 30-minute target is for 1,000,000 customers"
    return result


def _http(
    groups: list[Group], env: dict[str, str], args: argparse.Namespace
) -> list[tuple[Group, WorkloadResult, Any]]:
    from bench.suite.http_timing import time_group

    timed: list[tuple[Group, WorkloadResult, Any]] = []
    users = sorted({group.user for group in groups})
    with tempfile.TemporaryDirectory(prefix="crm-bench-") as scratch:
        log = Path(scratch) / "server.log"
        try:
            with crm_server(env, args.workers, log) as server:
                sessions = {user: Session(server.url, user) for user in users}
                try:
                    for group in groups:
                        print(f"  {group.key} ({len(group.requests)} distinct requests) ...", flush=True)
                        result, measured = time_group(
                            sessions[group.user], group, requests=args.requests, warmup=args.warmup
                        )
                        _explain_miss(result)
                        http = result.http
                        print(f"    p50 {http.p50 if http else '-'} ms, p99 {http.p99 if http else '-'} ms: "
                              f"{result.verdict()}", flush=True)  # fmt: skip
                        timed.append((group, result, measured))
                finally:
                    for session in sessions.values():
                        session.close()
        except Exception:
            if log.exists():
                print(log.read_text()[-4000:], file=sys.stderr)
            raise
    return timed


def _explain_miss(result: WorkloadResult) -> None:
    """Name the variants to look at first: the slowest by median, and the one with the slowest request."""
    if result.status != MISSED or result.errors or not result.by_variant:
        return
    by_median, median = max(result.by_variant.items(), key=lambda item: item[1]["p50"])
    by_max, slowest = max(result.by_variant.items(), key=lambda item: item[1]["max"])
    result.reason = f"slowest median: {by_median}, p50 {median['p50']:.0f} ms"
    if by_max != by_median:
        result.reason += f"; slowest request: {by_max}, {slowest['max']:.0f} ms"


def _skipped(group: Group) -> WorkloadResult:
    reason = group.skip_reason or "nothing to request: the database holds no such records"
    return WorkloadResult(
        key=group.key, kind=group.kind, title=group.title, user=group.user, target=group.target.describe(),
        status=SKIPPED, reason=reason, note=group.note,
    )  # fmt: skip


def _list_workloads(all_groups: list[Group]) -> None:
    print("| key | kind | workload | user | target |\n|---|---|---|---|---|")
    for group in all_groups:
        print(f"| `{group.key}` | {group.kind} | {group.title} | {group.user} | {group.target.describe()} |")
    for key, title, target in RUN_WORKLOADS:
        print(f"| `{key}` | run | {title} | - | {target.describe() if target else 'reported, no target'} |")


def _stop_on_sigterm() -> None:
    """A terminated run still stops its server: SystemExit unwinds through the `finally` blocks."""

    def stop(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    _stop_on_sigterm()
    if args.requests < 1 or args.warmup < 0 or args.scale < 1:
        raise SystemExit("--requests and --scale must be positive and --warmup not negative")
    if args.update_query_counts:
        raise SystemExit("--update-query-counts is run by `crm bench --update-query-counts`")
    patterns = _selected(args.only)
    chosen = database.choose(args.db)
    if not args.list:
        database.prepare(chosen, reuse=args.reuse)
    env = _setup_django(chosen.url)
    started_at = dt.datetime.now(dt.UTC)
    from django.utils import timezone

    from bench.suite import catalogue, db_time, lead_import, sampling, scans

    if args.list:
        _list_workloads(catalogue.groups(sampling.Sample.stand_in(), timezone.localdate()))
        return 0
    seed = database.seed(chosen, env, args.scale, reuse=args.reuse)
    results: list[WorkloadResult] = [_seed_result(seed)] if _wanted(patterns, "seed", "run") else []
    print("Reading the sample of records the requests use ...", flush=True)
    sample = sampling.collect()
    all_groups = catalogue.groups(sample, timezone.localdate())
    known = {g.key for g in all_groups} | {key for key, _t, _g in RUN_WORKLOADS}
    kinds = {g.kind for g in all_groups} | {"run"}
    unknown = [p for p in patterns if p not in kinds and not any(fnmatch.fnmatchcase(k, p) for k in known)]
    if unknown:
        raise SystemExit(f"--only: no workload matches {', '.join(unknown)}; keys: {', '.join(sorted(known))}")
    groups = [g for g in all_groups if _wanted(patterns, g.key, g.kind)]
    runnable = [g for g in groups if g.requests and not g.skip_reason]
    for group in groups:
        if group not in runnable:
            print(f"  {group.key}: SKIPPED, {group.skip_reason or 'no records to request'}", flush=True)

    timed = _http(runnable, env, args) if runnable else []
    if not args.no_db_time:
        print("Measuring the database's own time ...", flush=True)
        for group, result, measured in timed:
            result.db = db_time.measure(measured, group.user)
            if result.http and result.http.p50:
                result.db_share_of_p50 = round(result.db.db_p50 / result.http.p50, 3)
    by_key = {result.key: result for _g, result, _m in timed}
    results += [by_key.get(group.key) or _skipped(group) for group in groups]

    checks = {key for key in ("scan_stalled_deals", "scan_neglected_customers") if _wanted(patterns, key, "run")}
    if checks:
        print("Timing the hourly checks ...", flush=True)
        results += scans.run(checks)
    if _wanted(patterns, "scan_duplicate_pairs", "run"):
        print("Scanning customers and contacts for duplicate pairs ...", flush=True)
        results.append(scans.duplicate_pairs())
    if _wanted(patterns, "import_leads", "run"):
        print(f"Importing {args.import_rows:,} leads ...", flush=True)
        results.append(lead_import.run(args.import_rows))

    meta: dict[str, Any] = {
        "started_at": started_at.isoformat(timespec="seconds"),
        "vendor": chosen.vendor,
        "database": chosen.label,
        "scale": args.scale,
        "requests": args.requests,
        "warmup": args.warmup,
        "workers": args.workers,
        "only": patterns,
        "seed": seed,
        "rows": database.row_counts(),
        "database_bytes": chosen.size_bytes(),
        "machine": database.machine(),
    }
    json_path, md_path = write(results, meta, args.results.resolve())
    print()
    print(markdown(results, meta))
    statuses = (MET, MISSED, NOT_JUDGED, SKIPPED, REPORTED)
    counts = {status: sum(1 for r in results if r.status == status) for status in statuses}
    print(f"\n{', '.join(f'{n} {status}' for status, n in counts.items())}. Wrote {json_path} and {md_path}")
    if args.delete_db and chosen.sqlite_path is not None:
        from django.db import connection

        connection.close()
        database.delete_sqlite(chosen.sqlite_path)
    return 0
