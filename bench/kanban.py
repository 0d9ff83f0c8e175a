"""Deal board (商机看板) timings: one pipeline with 100,000 open deals.

Seeds a fresh SQLite file (var/bench_kanban.sqlite3) with `crm demo --scale 2000` for users and
customers, or uses PostgreSQL when DATABASE_URL points at an empty one, then bulk-inserts
`--deals` open deals spread over the default pipeline's open stages (the board reads no stage
history, so none is written). Then, in-process through Django's test client (full middleware,
templates and SQL, no network), it times:

- `board (admin)`: GET /deals/ as an administrator, who sees every deal: the heaviest board;
- `board (rep)`: GET /deals/ as a sales rep, who sees their own deals and those shared with them;
- `board, owner filter`: GET /deals/?owner=… as an administrator;
- `column, load more`: the second page of one column;
- `api list`: GET /api/v1/deals?pipeline_id=…&status=open&sort=-amount (25 rows).

Target p99 under 200 ms. Timings are reported, not asserted. The SQLite file is deleted at the
end unless `--keep`.

    .venv/bin/python bench/kanban.py --deals 100000
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CRM = ROOT / ".venv" / "bin" / "crm"
DEFAULT_DB = ROOT / "var" / "bench_kanban.sqlite3"
PROTECTED_DB = ROOT / "var" / "crm.sqlite3"
TARGET_P99_MS = 200.0


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(pct / 100 * len(ordered))) - 1]


def run_crm(args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([str(CRM), *args], env=env, cwd=ROOT, check=True)
    return time.perf_counter() - started


def seed_deals(count: int, rng: random.Random) -> float:
    """Bulk-insert `count` open deals on random demo customers, owned by the customers' owners."""
    from django.db import transaction
    from django.utils import timezone

    from crm.core.search import build_search_text, search_index_deferred
    from crm.customers.models import Customer
    from crm.deals.models import Deal, Pipeline, Stage, StageKind

    pipeline = Pipeline.objects.order_by("-is_default", "id").first()
    if pipeline is None:
        raise SystemExit("no pipeline: run the migrations first")
    stages = list(Stage.objects.filter(pipeline=pipeline, kind=StageKind.OPEN).order_by("position"))
    customers = list(Customer.objects.values_list("pk", "name", "owner_id", "team_id"))
    now = timezone.now()
    started = time.perf_counter()
    with transaction.atomic(), search_index_deferred(Deal):
        batch: list[Deal] = []
        for number in range(count):
            customer_id, name, owner_id, team_id = customers[rng.randrange(len(customers))]
            stage = stages[rng.randrange(len(stages))]
            deal = Deal(
                name=f"{name[:20]} · 项目 {number}",
                customer_id=customer_id,
                pipeline=pipeline,
                stage=stage,
                amount=Decimal(rng.randrange(10, 5000) * 1000),
                expected_close_on=(now + dt.timedelta(days=rng.randrange(-30, 240))).date(),
                probability=stage.probability,
                stage_entered_at=now - dt.timedelta(days=rng.randrange(0, 60)),
                owner_id=owner_id,
                team_id=team_id,
            )
            deal.search_text = build_search_text(names=[deal.name])
            batch.append(deal)
            if len(batch) == 5000:
                Deal.objects.bulk_create(batch)
                batch = []
        Deal.objects.bulk_create(batch)
    return time.perf_counter() - started


def time_requests(label: str, get: Callable[[], int], requests: int, warmup: int) -> float:
    for _ in range(warmup):
        get()
    millis: list[float] = []
    for _ in range(requests):
        started = time.perf_counter()
        status = get()
        millis.append((time.perf_counter() - started) * 1000)
        if status != 200:
            raise SystemExit(f"{label}: HTTP {status}")
    p99 = percentile(millis, 99)
    print(
        f"| {label} | {percentile(millis, 50):.1f} | {percentile(millis, 95):.1f} | {p99:.1f} | {max(millis):.1f} | "
        f"{'met' if p99 <= TARGET_P99_MS else 'missed'} |",
        flush=True,
    )
    return p99


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--db", type=Path, default=DEFAULT_DB)
    parser.add_argument("--keep", action="store_true", help="keep the SQLite file")
    args = parser.parse_args()

    given = os.environ.get("DATABASE_URL", "")
    sqlite = not given.startswith(("postgres://", "postgresql://"))
    if sqlite:
        if args.db.resolve() == PROTECTED_DB.resolve():
            raise SystemExit(f"refusing to benchmark on {PROTECTED_DB}")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{args.db}{suffix}").unlink(missing_ok=True)
        args.db.parent.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{args.db}" if sqlite else given
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings"}
    os.environ.update({"DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings"})
    sys.path.insert(0, str(ROOT))
    try:
        run_crm(["migrate", "--verbosity", "0"], env)
        seed_s = run_crm(["demo", "--scale", str(args.customers), "--quiet"], env)
        print(f"seeded {args.customers:,} demo customers in {seed_s:.1f} s", flush=True)

        import django

        django.setup()
        from django.db import connection
        from django.test import Client

        from crm.deals.models import Deal, Stage, StageKind
        from crm.identity.models import User

        rng = random.Random(2026)
        deals_s = seed_deals(args.deals, rng)
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        print(f"inserted {args.deals:,} open deals in {deals_s:.1f} s ({Deal.objects.count():,} deals in all)")

        admin, rep = User.objects.get(username="admin"), User.objects.get(username="rep1")
        stage = Stage.objects.filter(kind=StageKind.OPEN).order_by("pipeline", "position").first()
        if stage is None:
            raise SystemExit("no open stage")
        as_admin, as_rep = Client(), Client()
        as_admin.force_login(admin)
        as_rep.force_login(rep)
        column_html = as_admin.get(f"/deals/columns/{stage.pk}/").content.decode()
        marker = "cursor="
        next_cursor = column_html[column_html.index(marker) + len(marker) :].split('"')[0].split("&")[0]

        print("\n| workload | p50 ms | p95 ms | p99 ms | max ms | target p99 200 ms |\n|---|---|---|---|---|---|")
        workloads: list[tuple[str, Callable[[], int]]] = [
            ("board (admin, all deals)", lambda: as_admin.get("/deals/").status_code),
            ("board (rep)", lambda: as_rep.get("/deals/").status_code),
            ("board, owner filter", lambda: as_admin.get(f"/deals/?owner={rep.pk}").status_code),
            (
                "column, load more",
                lambda: as_admin.get(f"/deals/columns/{stage.pk}/?cursor={next_cursor}").status_code,
            ),
            (
                "api list (25 rows)",
                lambda: (
                    as_admin.get(f"/api/v1/deals?pipeline_id={stage.pipeline_id}&status=open&sort=-amount").status_code
                ),
            ),
        ]
        for label, get in workloads:
            time_requests(label, get, args.requests, args.warmup)
    finally:
        if sqlite and not args.keep:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{args.db}{suffix}").unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
