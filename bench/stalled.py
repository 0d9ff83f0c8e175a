"""Stalled-deal and neglected-customer checks at scale: 1,000,000 deals, 10,000,000 follow-ups.

Seeds a fresh SQLite file (var/bench_stalled.sqlite3), or PostgreSQL when DATABASE_URL points at an
empty database: `crm migrate`, `crm demo --scale 200` for the organisation and its users, then
`--customers` customers, `--deals` open deals and `--follow-ups` follow-ups, each with one
INSERT … SELECT over a generated number series (the database builds the rows; no Python per row).
The non-unique indexes are set aside during the load on SQLite and built once afterwards.

The data is shaped so the checks have work to do: every customer's follow-ups lie in a window
that ends 0-199 days ago (so some are recent, some long quiet), grades cycle A/B/C/D/none, and
deals sit 0-119 days in one of the default pipeline's open stages, whose thresholds are set to
30 days in stage and 14 days without a follow-up.

Then it times, in-process:

- `last follow-up refresh`: `last_follow_ups_refresh()` over every customer (what a bulk load runs);
- `stalled-deal scan`: `deals_flag_stalled`, first run (flags and notifies) and second run (no-op);
- `neglected-customer scan`: `customers_flag_neglected`, first and second run.

Target: each scan under a minute. Timings are reported, not asserted. The SQLite file is deleted at
the end unless `--keep`. `--seed-only` stops after seeding (and the refresh); `--reuse --reset` times the
scans again on a kept database after deleting every flag and notice (a fresh first run).

    .venv/bin/python bench/stalled.py                                   # 1 M deals, 10 M follow-ups
    .venv/bin/python bench/stalled.py --customers 100000 --deals 100000 --follow-ups 1000000
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CRM = ROOT / ".venv" / "bin" / "crm"
DEFAULT_DB = ROOT / "var" / "bench_stalled.sqlite3"
PROTECTED_DB = ROOT / "var" / "crm.sqlite3"
TARGET_S = 60.0
DAY = 86_400


def run_crm(args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([str(CRM), *args], env=env, cwd=ROOT, check=True)
    return time.perf_counter() - started


@contextmanager
def timed(label: str, results: dict[str, float]) -> Iterator[None]:
    started = time.perf_counter()
    yield
    results[label] = time.perf_counter() - started
    print(f"{label}: {results[label]:.1f} s", flush=True)


class Generator:
    """INSERT … SELECT of `count` rows for a model: given columns as SQL over `i`, the rest their defaults."""

    def __init__(self, vendor: str, now: dt.datetime) -> None:
        self.vendor = vendor
        self.now = now

    def series(self, count: int) -> tuple[str, list[Any]]:
        if self.vendor == "sqlite":
            return "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < %s) ", [count - 1]
        return "WITH n(i) AS (SELECT generate_series(0, %s)) ", [count - 1]

    def ago(self, seconds_sql: str) -> str:
        """A timestamp `seconds_sql` seconds before now, as the database stores Django datetimes."""
        stamp = self.now.strftime("%Y-%m-%d %H:%M:%S")
        if self.vendor == "sqlite":
            return f"datetime('{stamp}', '-' || ({seconds_sql}) || ' seconds')"
        return f"(TIMESTAMPTZ '{stamp}+00' - ({seconds_sql}) * INTERVAL '1 second')"

    def insert(self, model: Any, count: int, given: dict[str, str], joins: str = "") -> None:
        from django.db import connection

        meta = model._meta
        rest = [f for f in meta.concrete_fields if not f.primary_key and f.column not in given]
        defaults = [f.get_db_prep_save(f.get_default(), connection) for f in rest]
        quote = connection.ops.quote_name
        columns = ", ".join(quote(c) for c in [*given, *(f.column for f in rest)])
        # The expressions use % as the modulo operator: doubled, as both drivers' paramstyle wants.
        values = ", ".join([*(expr.replace("%", "%%") for expr in given.values()), *(["%s"] * len(rest))])
        joins = joins.replace("%", "%%")
        head, params = self.series(count)
        # Both databases take a WITH before INSERT, so the series feeds the SELECT the same way.
        sql = f"{head}INSERT INTO {quote(meta.db_table)} ({columns}) SELECT {values} FROM n {joins}"  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, *defaults])


def seed(customers: int, deals: int, follow_ups: int, results: dict[str, float]) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from crm.activities.models import Activity
    from crm.core.bulk_loading import plain_indexes_deferred
    from crm.core.search import search_index_deferred
    from crm.customers.models import Customer
    from crm.deals.models import Deal, Pipeline, Stage, StageKind
    from crm.identity.models import User

    vendor = connection.vendor
    gen = Generator(vendor, timezone.now().replace(microsecond=0))
    reps = list(User.objects.filter(team__isnull=False).order_by("id").values_list("id", "team_id"))
    pipeline = Pipeline.objects.order_by("-is_default", "id").first()
    if pipeline is None:
        raise SystemExit("no pipeline: run the migrations first")
    stages = list(Stage.objects.filter(pipeline=pipeline, kind=StageKind.OPEN).order_by("position"))
    Stage.objects.filter(pk__in=[s.pk for s in stages]).update(expected_days=30, follow_up_days=14)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_reps")
        cursor.execute("CREATE TABLE bench_reps (k integer PRIMARY KEY, owner_id bigint, team_id bigint)")
        cursor.executemany("INSERT INTO bench_reps VALUES (%s, %s, %s)", [(k, o, t) for k, (o, t) in enumerate(reps)])
        cursor.execute("DROP TABLE IF EXISTS bench_stages")
        cursor.execute("CREATE TABLE bench_stages (k integer PRIMARY KEY, stage_id bigint)")
        cursor.executemany("INSERT INTO bench_stages VALUES (%s, %s)", [(k, s.pk) for k, s in enumerate(stages)])
        cursor.execute("SELECT coalesce(max(id), 0) FROM customers_customer")
        base = int(cursor.fetchone()[0]) + 1
    r, s = len(reps), len(stages)
    cat = "||"
    text = "CAST(i AS TEXT)"
    grades = "CASE i % 5 WHEN 0 THEN 'A' WHEN 1 THEN 'B' WHEN 2 THEN 'C' WHEN 3 THEN 'D' ELSE '' END"
    created = gen.ago(f"{400 * DAY} + (i % 365) * {DAY}")
    with (
        search_index_deferred(Customer, Deal),
        plain_indexes_deferred(Customer, Deal, Activity),
    ):
        with timed(f"seed {customers:,} customers", results), transaction.atomic():
            gen.insert(
                Customer,
                customers,
                {
                    "id": f"{base} + i",
                    "name": f"'基准客户 ' {cat} {text}",
                    "grade": grades,
                    "owner_id": "bench_reps.owner_id",
                    "team_id": "bench_reps.team_id",
                    "created_at": created,
                    "updated_at": created,
                },
                f"JOIN bench_reps ON bench_reps.k = i % {r}",
            )
        with timed(f"seed {deals:,} deals", results), transaction.atomic():
            entered = gen.ago(f"((CAST(i AS BIGINT) * 7919) % 120) * {DAY}")
            gen.insert(
                Deal,
                deals,
                {
                    "name": f"'基准商机 ' {cat} {text}",
                    "customer_id": f"{base} + (i * 7) % {customers}",
                    "pipeline_id": str(pipeline.pk),
                    "stage_id": "bench_stages.stage_id",
                    "amount": "(i % 500 + 1) * 1000",
                    "probability": "20",
                    "stage_entered_at": entered,
                    "owner_id": "bench_reps.owner_id",
                    "team_id": "bench_reps.team_id",
                    "created_at": entered,
                    "updated_at": entered,
                },
                f"JOIN bench_reps ON bench_reps.k = i % {r} JOIN bench_stages ON bench_stages.k = i % {s}",
            )
        # Follow-up j goes to customer j % customers; each customer's lie in a 60-day window that
        # ends ((customer * 37) % 200) days ago, so recency varies from customer to customer.
        with timed(f"seed {follow_ups:,} follow-ups", results), transaction.atomic():
            spread = f"((CAST(i AS BIGINT) * 2654435761) % {60 * DAY})"  # BIGINT: past int4 on PostgreSQL
            occurred = gen.ago(f"((i % {customers}) * 37 % 200) * {DAY} + {spread}")
            gen.insert(
                Activity,
                follow_ups,
                {
                    "customer_id": f"{base} + i % {customers}",
                    "kind": "'call'",
                    "content": "'电话沟通需求'",
                    "occurred_at": occurred,
                    "owner_id": "bench_reps.owner_id",
                    "team_id": "bench_reps.team_id",
                    "created_at": occurred,
                    "updated_at": occurred,
                },
                f"JOIN bench_reps ON bench_reps.k = (i % {customers}) % {r}",
            )
        rebuild_started = time.perf_counter()
    # Leaving the block above builds the set-aside indexes and the search index once.
    results["rebuild indexes after the load"] = time.perf_counter() - rebuild_started
    print(f"rebuild indexes after the load: {results['rebuild indexes after the load']:.1f} s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_reps")
        cursor.execute("DROP TABLE bench_stages")
        cursor.execute("ANALYZE")


def refresh(results: dict[str, float]) -> None:
    from django.db import connection

    from crm.activities.services import last_follow_ups_refresh

    with timed("last follow-up refresh (every customer)", results):
        last_follow_ups_refresh()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def reset_flags() -> None:
    """Back to "never checked" on a kept database, so a first run can be timed again on the same rows."""
    from django.db import connection

    from crm.notifications.models import Notification

    print("resetting flags and notices …", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM deals_dealstall")
        cursor.execute("DELETE FROM customers_neglectflag")
    Notification.objects.all().delete()
    vacuum()


def vacuum() -> None:
    from django.db import connection

    # Dead row versions left by a reset would otherwise be the next run's cost, not the check's.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "VACUUM")


def time_scans(results: dict[str, float]) -> None:
    from crm.core.actors import system_actor
    from crm.customers.models import Customer
    from crm.customers.neglect import customers_flag_neglected
    from crm.deals.models import Deal
    from crm.deals.stalling import deals_flag_stalled
    from crm.notifications.models import Notification

    runs: list[tuple[str, Callable[[], Any]]] = [
        ("stalled-deal scan, first run", lambda: deals_flag_stalled(actor=system_actor("bench"))),
        ("stalled-deal scan, second run", lambda: deals_flag_stalled(actor=system_actor("bench"))),
        ("neglected-customer scan, first run", lambda: customers_flag_neglected(actor=system_actor("bench"))),
        ("neglected-customer scan, second run", lambda: customers_flag_neglected(actor=system_actor("bench"))),
    ]
    for label, run in runs:
        with timed(label, results):
            summary = run()
        print(f"  {summary}", flush=True)
    print(
        f"stalled deals: {Deal.objects.filter(stall__isnull=False).count():,}; "
        f"neglected customers: {Customer.objects.filter(neglect_flag__isnull=False).count():,}; "
        f"notifications: {Notification.objects.count():,}",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--deals", type=int, default=1_000_000)
    parser.add_argument("--follow-ups", type=int, default=10_000_000)
    parser.add_argument("--db", type=Path, default=DEFAULT_DB)
    parser.add_argument("--keep", action="store_true", help="keep the SQLite file")
    parser.add_argument("--reuse", action="store_true", help="skip seeding: time the scans on a kept file")
    parser.add_argument("--seed-only", action="store_true", help="seed and refresh the last follow-ups, no scans")
    parser.add_argument("--reset", action="store_true", help="with --reuse: clear every flag and notice first")
    args = parser.parse_args()

    given = os.environ.get("DATABASE_URL", "")
    sqlite = not given.startswith(("postgres://", "postgresql://"))
    if sqlite:
        if args.db.resolve() == PROTECTED_DB.resolve():
            raise SystemExit(f"refusing to benchmark on {PROTECTED_DB}")
        if not args.reuse:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{args.db}{suffix}").unlink(missing_ok=True)
        args.db.parent.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{args.db}" if sqlite else given
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings"}
    os.environ.update({"DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings"})
    sys.path.insert(0, str(ROOT))
    results: dict[str, float] = {}
    try:
        if not args.reuse:
            run_crm(["migrate", "--verbosity", "0"], env)
            results["crm demo --scale 200"] = run_crm(["demo", "--scale", "200", "--quiet"], env)
        import django

        django.setup()
        from django.db import connection

        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA synchronous=OFF")
                cursor.execute("PRAGMA cache_size=-524288")  # 512 MiB for this connection
        if not args.reuse:
            seed(args.customers, args.deals, args.follow_ups, results)
            refresh(results)
            if connection.vendor == "postgresql":
                vacuum()
        if args.reset:
            reset_flags()
        if not args.seed_only:
            time_scans(results)
        print("\n| step | seconds | target |\n|---|---:|---|")
        for label, seconds in results.items():
            target = ("met" if seconds <= TARGET_S else "missed") if "scan" in label else ""
            print(f"| {label} | {seconds:.1f} | {target} |")
    finally:
        if sqlite and not args.keep:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{args.db}{suffix}").unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
