"""Receivables ageing (应收账龄) over 1,000,000 instalments.

Seeds a fresh SQLite file (var/bench_receivables.sqlite3), or PostgreSQL when DATABASE_URL points at an
empty database: `crm demo --scale 2000` for users and customers, then `--contracts` signed contracts
(ORM bulk insert) and `--instalments` instalments spread over them with plain bulk SQL
(`executemany` in batches of 20,000), plus one payment per contract for what it has collected.
About 65% of instalments are paid, 10% part paid and 25% unpaid; due dates spread over the two years
before today and the year after it.

Then it times, in-process (no HTTP), the receivables selector that the report page and
`/api/v1/receivables` call: four grouped aggregate queries (contracts, invoices, payments, the ageing
buckets of open instalments) plus one for the group labels:

- `by owner (director)`, `by team (director)`, `by customer (director)`: an actor who sees everything;
- `by owner (manager)`: a sales manager who sees a team subtree;
- `by contract (rep)`: one sales rep's own contracts;
- `ageing query only (director)`: the single instalment aggregate.

Target: under one second each. Timings are reported, not asserted; the SQLite file is deleted at the
end unless `--keep`.

    .venv/bin/python bench/receivables.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench_receivables .venv/bin/python bench/receivables.py
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CRM = ROOT / ".venv" / "bin" / "crm"
DEFAULT_DB = ROOT / "var" / "bench_receivables.sqlite3"
PROTECTED_DB = ROOT / "var" / "crm.sqlite3"
TARGET_MS = 1000.0
BATCH = 20_000


def run_crm(args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([str(CRM), *args], env=env, cwd=ROOT, check=True)
    return time.perf_counter() - started


def seed(contracts: int, instalments: int, rng: random.Random) -> dict[str, float]:
    """Bulk-insert signed contracts, their instalments and one payment per contract."""
    from django.db import connection, transaction
    from django.utils import timezone

    from crm.contracts.models import Contract, ContractStatus
    from crm.customers.models import Customer
    from crm.payments.models import Instalment, Payment, PaymentPlan

    customers = list(Customer.objects.exclude(owner_id=None).values_list("pk", "owner_id", "team_id"))
    today = timezone.localdate()
    now = timezone.now()
    timings: dict[str, float] = {}

    started = time.perf_counter()
    with transaction.atomic():
        batch: list[Contract] = []
        for number in range(contracts):
            customer_id, owner_id, team_id = customers[rng.randrange(len(customers))]
            status = ContractStatus.ACTIVE if rng.random() < 0.8 else ContractStatus.EXPIRED
            batch.append(
                Contract(
                    number=f"HT-BENCH-{number:07d}",
                    title=f"年度服务合同 {number}",
                    customer_id=customer_id,
                    owner_id=owner_id,
                    team_id=team_id,
                    status=status,
                    amount=Decimal(0),
                    signed_on=today - dt.timedelta(days=rng.randrange(30, 800)),
                )
            )
            if len(batch) == 5000:
                Contract.objects.bulk_create(batch)
                batch = []
        Contract.objects.bulk_create(batch)
    # Only the contracts made here: the demo's own contracts already have plans.
    contract_ids = list(
        Contract.objects.filter(number__startswith="HT-BENCH-").order_by("pk").values_list("pk", flat=True)
    )
    timings["contracts"] = time.perf_counter() - started

    started = time.perf_counter()
    per_contract = max(1, instalments // len(contract_ids))
    table = connection.ops.quote_name(Instalment._meta.db_table)
    columns = "contract_id, number, amount, due_on, note, collected, created_at, updated_at"
    insert = f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"  # noqa: S608
    totals: dict[int, tuple[Decimal, Decimal]] = {}
    rows: list[tuple[Any, ...]] = []
    written = 0
    with transaction.atomic(), connection.cursor() as cursor:
        for index, contract_id in enumerate(contract_ids):
            count = per_contract + (1 if index < instalments - per_contract * len(contract_ids) else 0)
            first_due = today - dt.timedelta(days=rng.randrange(-200, 730))
            contracted = Decimal(0)
            collected = Decimal(0)
            for position in range(1, count + 1):
                amount = Decimal(rng.randrange(1_000, 500_000)) + Decimal(rng.randrange(100)) / 100
                due = first_due + dt.timedelta(days=90 * (position - 1))
                roll = rng.random()
                if due > today and roll < 0.6:
                    got = Decimal(0)
                elif roll < 0.65:
                    got = amount
                elif roll < 0.75:
                    got = (amount * Decimal(rng.randrange(1, 100)) / 100).quantize(Decimal("0.01"))
                else:
                    got = Decimal(0)
                contracted += amount
                collected += got
                rows.append((contract_id, position, str(amount), due, "", str(got), now, now))
            totals[contract_id] = (contracted, collected)
            if len(rows) >= BATCH:
                cursor.executemany(insert, rows)
                written += len(rows)
                rows = []
        cursor.executemany(insert, rows)
        written += len(rows)
    timings["instalments"] = time.perf_counter() - started

    started = time.perf_counter()
    contract_table = connection.ops.quote_name(Contract._meta.db_table)
    with transaction.atomic():
        for start in range(0, len(contract_ids), 5000):
            chunk = contract_ids[start : start + 5000]
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"UPDATE {contract_table} SET amount = %s WHERE id = %s",  # noqa: S608
                    [(str(totals[pk][0]), pk) for pk in chunk],
                )
            PaymentPlan.objects.bulk_create([PaymentPlan(contract_id=pk) for pk in chunk])
            Payment.objects.bulk_create(
                [
                    Payment(
                        contract_id=pk,
                        amount=totals[pk][1],
                        received_on=today - dt.timedelta(days=1),
                        method="bank_transfer",
                    )
                    for pk in chunk
                    if totals[pk][1] > 0
                ]
            )
    timings["contract amounts and payments"] = time.perf_counter() - started
    with connection.cursor() as cursor:
        # PostgreSQL answers from the covering index only once the visibility map is set.
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    timings["rows"] = float(written)
    return timings


def time_it(label: str, run: Callable[[], object], repeats: int) -> float:
    run()  # warm caches
    millis = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        millis.append((time.perf_counter() - started) * 1000)
    median = statistics.median(millis)
    verdict = "met" if median <= TARGET_MS else "missed"
    print(f"| {label} | {median:.0f} | {min(millis):.0f} | {max(millis):.0f} | {verdict} |", flush=True)
    return median


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instalments", type=int, default=1_000_000)
    parser.add_argument("--contracts", type=int, default=200_000)
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--db", type=Path, default=DEFAULT_DB)
    parser.add_argument("--keep", action="store_true", help="keep the SQLite file")
    parser.add_argument("--reuse", action="store_true", help="time an already seeded database")
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
    try:
        if not args.reuse:
            run_crm(["migrate", "--verbosity", "0"], env)
            seconds = run_crm(["demo", "--scale", str(args.customers), "--quiet"], env)
            print(f"seeded {args.customers:,} demo customers in {seconds:.1f} s", flush=True)
        import django

        django.setup()
        from django.db import connection
        from django.utils import timezone

        from crm.core.actors import web_actor
        from crm.identity.models import BuiltinRole, User
        from crm.payments.models import Instalment
        from crm.payments.selectors import ReceivableFilters, _ageing_rows, _receivable_contracts, receivables

        if not args.reuse:
            timings = seed(args.contracts, args.instalments, random.Random(20260615))
            for step, seconds in timings.items():
                if step != "rows":
                    print(f"seeded {step} in {seconds:.1f} s", flush=True)
        total = Instalment.objects.count()
        print(f"\n{connection.vendor}: {total:,} instalments\n", flush=True)

        director = web_actor(User.objects.filter(role__code=BuiltinRole.SALES_DIRECTOR).first())  # type: ignore[arg-type]
        manager_user = User.objects.filter(role__code=BuiltinRole.SALES_MANAGER, is_team_manager=True).first()
        rep_user = User.objects.filter(role__code=BuiltinRole.SALES_REP).first()
        manager = web_actor(manager_user)  # type: ignore[arg-type]
        rep = web_actor(rep_user)  # type: ignore[arg-type]
        today = timezone.localdate()

        everything = _receivable_contracts(director, ReceivableFilters())
        print("| query | median ms | min ms | max ms | target (< 1 s) |\n|---|---|---|---|---|", flush=True)
        results = {
            "by owner (director)": time_it(
                "by owner (director)",
                lambda: receivables(viewer=director, filters=ReceivableFilters(group_by="owner")),
                args.repeats,
            ),
            "by team (director)": time_it(
                "by team (director)",
                lambda: receivables(viewer=director, filters=ReceivableFilters(group_by="team")),
                args.repeats,
            ),
            "by customer (director)": time_it(
                "by customer (director)",
                lambda: receivables(viewer=director, filters=ReceivableFilters(group_by="customer")),
                args.repeats,
            ),
            "by owner (manager)": time_it(
                "by owner (manager)",
                lambda: receivables(viewer=manager, filters=ReceivableFilters(group_by="owner")),
                args.repeats,
            ),
            "by contract (rep)": time_it(
                "by contract (rep)",
                lambda: receivables(viewer=rep, filters=ReceivableFilters(group_by="contract")),
                args.repeats,
            ),
            "ageing query only (director)": time_it(
                "ageing query only (director)",
                lambda: _ageing_rows(everything, "owner_id", today, narrow=False),
                args.repeats,
            ),
        }
        return 0 if all(value <= TARGET_MS for value in results.values()) else 1
    finally:
        if sqlite and not args.keep:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{args.db}{suffix}").unlink(missing_ok=True)


if __name__ == "__main__":
    sys.exit(main())
