"""Load test runner: seed a fresh database, serve it with `crm serve`, drive it with locust, then check.

    .venv/bin/python -m bench.load.run [--scale 100000] [--users 50] [--run-time 10m]
    .venv/bin/python bench/load/run.py --run-time 60s          # the same, started as a script

SQLite by default (a fresh file, var/load_bench.sqlite3); PostgreSQL when DATABASE_URL points at one
(created if missing; it must be empty unless --reuse), as for `crm bench` (bench/suite/database.py). The simulated
people are in bench/load/locustfile.py. Afterwards: locust's figures per request and overall, the
server log searched for "database is locked", 5xx answers and tracebacks, and the count check
(bench/load/counting.py). Writes bench/results/<date>-load-<vendor>.json and prints a Markdown table.
Exits 1 if any request failed, the server erred or locked, or the count check failed; timings are
reported, never asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    # Started as `python bench/load/run.py`: run as the module, so the package's imports resolve.
    _root = Path(__file__).resolve().parents[2]
    os.chdir(_root)
    os.execv(sys.executable, [sys.executable, "-m", "bench.load.run", *sys.argv[1:]])  # noqa: S606  (no shell wanted)

from bench.suite import database
from bench.suite.server import ROOT, crm_server, free_port

from .report import TARGET_P99_MS, markdown, read_figures, scan_server_log

LOCUST = ROOT / ".venv" / "bin" / "locust"
LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
RESULTS = ROOT / "bench" / "results"
DEFAULT_DB = ROOT / "var" / "load_bench.sqlite3"
ARTIFACTS = ROOT / "var" / "load_artifacts"
PORTS = range(18200, 18300)


def _seconds(run_time: str) -> int:
    """locust's run time ("90", "60s", "10m", "1h30m") in seconds."""
    total, number = 0, ""
    for char in run_time.strip():
        if char.isdigit():
            number += char
        elif char in "hms" and number:
            total += int(number) * {"h": 3600, "m": 60, "s": 1}[char]
            number = ""
        else:
            raise argparse.ArgumentTypeError(f"not a run time: {run_time!r}")
    return total + int(number or 0)


def _locust(args: argparse.Namespace, base: str, scratch: Path, scenario_file: Path) -> int:
    command = [
        str(LOCUST),
        "--locustfile",
        str(LOCUSTFILE),
        "--headless",
        "--host",
        base,
        "--users",
        str(args.users),
        "--spawn-rate",
        str(args.spawn_rate),
        "--run-time",
        args.run_time,
        # Let each person finish the action under way rather than cut a write off mid-flight.
        "--stop-timeout",
        "30",
        "--csv",
        str(scratch / "locust"),
        "--json-file",
        str(scratch / "locust"),
        "--only-summary",
        "--logfile",
        str(scratch / "locust.log"),
        "--exit-code-on-error",
        "0",
    ]
    if args.processes > 1:
        command += ["--processes", str(args.processes)]
    # Managers and finance clerks in fixed numbers, the rest sales reps.
    fixed = [
        {"user_class_name": "SalesManager", "fixed_count": args.managers},
        {"user_class_name": "FinanceClerk", "fixed_count": args.finance},
    ]
    command += ["--config-users", json.dumps(fixed)]
    env = {
        **os.environ,
        "LOAD_SCENARIO": str(scenario_file),
        "LOAD_WRITES_DIR": str(scratch),
        "LOAD_THINK_SECONDS": args.think,
    }
    limit = _seconds(args.run_time) + 180
    with (scratch / "locust.out").open("wb") as output:
        finished = subprocess.run(command, env=env, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT, timeout=limit)
    return finished.returncode


def _load_average() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=100_000, help="demo customers (default 100,000)")
    parser.add_argument("--users", type=int, default=50, help="simulated people (default 50)")
    parser.add_argument("--spawn-rate", type=float, default=10, help="people started per second (default 10)")
    parser.add_argument("--run-time", default="10m", help="how long, as locust reads it: 60s, 10m (default 10m)")
    parser.add_argument("--managers", type=int, default=5, help="of the users, sales managers (default 5)")
    parser.add_argument("--finance", type=int, default=5, help="of the users, finance clerks (default 5)")
    parser.add_argument("--think", default="1,4", help="seconds between a person's actions, low,high (default 1,4)")
    parser.add_argument(
        "--warmup",
        type=float,
        default=60,
        help="seconds from the first request before the steady state is measured (default 60; at most half the run)",
    )
    parser.add_argument("--processes", type=int, default=1, help="locust processes (default 1)")
    parser.add_argument(
        "--workers", type=int, default=2 * (os.cpu_count() or 1) + 1, help="gunicorn workers (2 × CPUs + 1)"
    )
    parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker (default 1, as crm serve)")
    parser.add_argument("--db", type=Path, default=DEFAULT_DB, help="SQLite file (default var/load_bench.sqlite3)")
    parser.add_argument("--reuse", action="store_true", help="keep an already seeded database")
    parser.add_argument("--delete-db", action="store_true", help="delete the SQLite file afterwards")
    free_range = f"{PORTS.start}-{PORTS.stop - 1}"
    parser.add_argument("--port", type=int, default=0, help=f"server port (default: free in {free_range})")
    parser.add_argument(
        "--artifacts", type=Path, default=ARTIFACTS, help="where the run's logs are kept (default var/load_artifacts)"
    )
    parser.add_argument("--results", type=Path, default=RESULTS, help="folder for the JSON (default bench/results)")
    args = parser.parse_args(argv)
    _seconds(args.run_time)
    if args.users < 1 or args.spawn_rate <= 0 or args.processes < 1:
        parser.error("--users, --spawn-rate and --processes must be positive")
    if args.managers < 0 or args.finance < 0 or args.managers + args.finance >= args.users:
        parser.error("--managers and --finance must leave at least one sales rep among --users")
    low, _comma, high = args.think.partition(",")
    try:
        if not 0 <= float(low) <= float(high or low):
            raise ValueError(args.think)
    except ValueError:
        parser.error("--think is two numbers of seconds, low,high")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    chosen = database.choose(args.db)
    database.prepare(chosen, reuse=args.reuse)
    url, vendor = chosen.url, chosen.vendor
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings"}
    env.pop("DEBUG", None)  # DEBUG keeps every query in memory: not what production runs
    os.environ.update({"DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings"})
    os.environ.pop("DEBUG", None)
    import django

    django.setup()
    from django.db import connections

    from . import counting, cpu, scenario

    started_at = dt.datetime.now(dt.UTC)
    seed = database.seed(chosen, env, args.scale, reuse=args.reuse)
    seed["open_deals_prepared"] = scenario.prepare_deals()
    run_id = secrets.token_hex(3)
    port = args.port or free_port(PORTS)
    with tempfile.TemporaryDirectory(prefix="crm-load-") as folder:
        scratch = Path(folder)
        scenario_file = scratch / "scenario.json"
        scenario_file.write_text(json.dumps(scenario.build(run_id), ensure_ascii=False), encoding="utf-8")
        log = scratch / "server.log"
        load_at_start = _load_average()
        try:
            with crm_server(
                env, args.workers, log, port, threads=args.threads, background_worker=True, access_log=True
            ) as server:
                baseline = counting.take_baseline()
                connections.close_all()  # nothing of the runner's holds the database during the load
                print(f"Load: {args.users} users for {args.run_time} against {server.url} ({vendor}) ...", flush=True)
                before, clock_started = cpu.sample(server.pid), time.monotonic()
                locust_exit = _locust(args, server.url, scratch, scenario_file)
                cpu_spent = cpu.spent(before, cpu.sample(server.pid), time.monotonic() - clock_started)
        except Exception:
            if log.exists():
                print(log.read_text(errors="replace")[-4000:], file=sys.stderr)
            raise
        load_at_end = _load_average()
        # The server has stopped: every write it accepted is committed; count them.
        count = counting.count_check(run_id, scratch, baseline)
        warmup = min(args.warmup, _seconds(args.run_time) / 2)
        requests = read_figures(scratch, scratch / "locust", warmup)
        server_log = scan_server_log(log)
        locust_tail = (scratch / "locust.out").read_text(errors="replace")[-2000:]
        # The raw material (server log, write logs, locust's files) stays for a look afterwards.
        shutil.rmtree(args.artifacts, ignore_errors=True)
        shutil.copytree(scratch, args.artifacts)
    overall = requests["overall"]
    verdict = {
        "no_failed_requests": overall["failures"] == 0 and overall["requests"] > 0,
        "no_server_errors": server_log["status_5xx"] == 0 and server_log["tracebacks"] == 0,
        "no_database_locked": server_log["database_is_locked"] == 0,
        "count_check_passed": count["passed"],
        "p99_met": overall["p99"] < TARGET_P99_MS,
        "steady_p99_met": 0 < requests["steady_state"]["overall"]["p99"] < TARGET_P99_MS,
    }
    result: dict[str, Any] = {
        "meta": {
            "started_at": started_at.isoformat(timespec="seconds"),
            "run_id": run_id,
            "vendor": vendor,
            "scale": args.scale,
            "users": args.users,
            "spawn_rate": args.spawn_rate,
            "mix": {
                "sales_reps": args.users - args.managers - args.finance,
                "managers": args.managers,
                "finance": args.finance,
            },
            "think_seconds": args.think,
            "run_time": args.run_time,
            "locust_processes": args.processes,
            "server_workers": args.workers,
            "server_threads": args.threads,
            "seed": seed,
            "machine": database.machine(),
            "load_average_at_start": load_at_start,
            "load_average_at_end": load_at_end,
            "locust_exit_code": locust_exit,
            "cpu": cpu_spent,
        },
        "targets": {"failed_requests": 0, "p99_ms_below": TARGET_P99_MS},
        "verdict": verdict,
        "requests": requests,
        "count_check": count,
        "server_log": server_log,
    }
    args.results.mkdir(parents=True, exist_ok=True)
    out = args.results.resolve() / f"{started_at.date().isoformat()}-load-{vendor}.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
    print()
    print(markdown(result))
    print(f"\nWrote {out}")
    if overall["requests"] == 0:
        print(locust_tail, file=sys.stderr)
    if args.delete_db and chosen.sqlite_path is not None:
        database.delete_sqlite(chosen.sqlite_path)
    correctness = [name for name, held in verdict.items() if not name.endswith("p99_met") and not held]
    if correctness:
        print(f"Failed: {', '.join(correctness)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
