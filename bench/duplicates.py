"""Duplicate check (查重) timings: one new record against the demo database, and a full scan.

Seeds a fresh SQLite file (var/bench_duplicates.sqlite3) with `crm demo --scale N`, or uses
PostgreSQL when DATABASE_URL points at an empty one, then in-process:

- `lookup`: `duplicate_candidates` for 500 new records as a sales rep would enter them: a
  variant of an existing company name (region moved into brackets, another legal suffix), an
  existing phone, an existing credit code, or a name that matches nothing. Target p99 20 ms.
- `many`: `duplicate_candidates_many` (the import path) for the same records in one call:
  batches of 500 looked up with one IN query per record type and key kind, and time per record.
- `--scan`: `scan_pairs` over all contacts (and customers), wall time and pairs found.

Timings are reported, not asserted. The SQLite file is deleted at the end unless `--keep`.

    .venv/bin/python bench/duplicates.py --scale 1000000 --scan
"""

from __future__ import annotations

import argparse
import math
import os
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CRM = ROOT / ".venv" / "bin" / "crm"
DEFAULT_DB = ROOT / "var" / "bench_duplicates.sqlite3"
PROTECTED_DB = ROOT / "var" / "crm.sqlite3"
TARGET_P99_MS = 20.0


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(pct / 100 * len(ordered))) - 1]


def run_crm(args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([str(CRM), *args], env=env, cwd=ROOT, check=True)
    return time.perf_counter() - started


def probes(count: int, rng: random.Random) -> list[dict[str, str]]:
    """New records: variants of existing customers' names, phones and codes, and misses."""
    from crm.customers.models import Customer

    top = Customer.objects.order_by("-id").values_list("id", flat=True).first() or 0
    ids = rng.sample(range(1, top + 1), min(count, top))
    rows = list(Customer.objects.filter(pk__in=ids).values("name", "phone", "credit_code"))
    result: list[dict[str, str]] = []
    for index, row in enumerate(rows):
        kind = index % 4
        name = row["name"]
        if kind == 0:  # 北京华信科技有限公司 → 华信科技(北京)股份有限公司
            core = name[2:].removesuffix("集团有限公司").removesuffix("股份有限公司").removesuffix("有限公司")
            result.append({"name": f"{core}({name[:2]})股份有限公司"})
        elif kind == 1:
            result.append({"name": "新客户有限公司", "phone": row["phone"] or "13800138000"})
        elif kind == 2:
            result.append({"name": "新客户有限公司", "credit_code": row["credit_code"]})
        else:
            result.append({"name": f"未见过{index}号贸易有限公司", "phone": f"139{index:08d}"})
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--db", type=Path, default=DEFAULT_DB)
    parser.add_argument("--scan", action="store_true", help="also time a full scan of contacts and customers")
    parser.add_argument("--keep", action="store_true", help="keep the SQLite file")
    parser.add_argument("--reuse", action="store_true", help="measure an already seeded SQLite file again")
    args = parser.parse_args()

    given = os.environ.get("DATABASE_URL", "")
    sqlite = not given.startswith(("postgres://", "postgresql://"))
    reuse = args.reuse and sqlite and args.db.exists()
    if sqlite:
        if args.db.resolve() == PROTECTED_DB.resolve():
            raise SystemExit(f"refusing to benchmark on {PROTECTED_DB}")
        if not reuse:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{args.db}{suffix}").unlink(missing_ok=True)
        args.db.parent.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{args.db}" if sqlite else given
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings"}
    os.environ.update({"DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings"})
    sys.path.insert(0, str(ROOT))
    try:
        run_crm(["migrate", "--verbosity", "0"], env)
        if not reuse:
            seed_s = run_crm(["demo", "--scale", str(args.scale), "--quiet"], env)
            print(f"seeded {args.scale:,} customers in {seed_s:.1f} s", flush=True)

        import django

        django.setup()
        from crm.core.actors import web_actor
        from crm.customers.duplicates.lookup import duplicate_candidates, duplicate_candidates_many
        from crm.customers.duplicates.scan import scan_pairs
        from crm.identity.models import User

        viewer = web_actor(User.objects.get(username="rep1"))
        rng = random.Random(2026)
        records = probes(args.lookups + args.warmup, rng)
        for values in records[: args.warmup]:
            duplicate_candidates(viewer=viewer, values=values, object_type="customers")
        millis: list[float] = []
        found = 0
        for values in records[args.warmup :]:
            started = time.perf_counter()
            found += len(duplicate_candidates(viewer=viewer, values=values, object_type="customers"))
            millis.append((time.perf_counter() - started) * 1000)
        p99 = percentile(millis, 99)
        print(
            f"lookup of one new customer ({len(millis)} lookups): p50 {percentile(millis, 50):.2f} ms, "
            f"p95 {percentile(millis, 95):.2f} ms, p99 {p99:.2f} ms, max {max(millis):.2f} ms, "
            f"{found / len(millis):.1f} candidates each; target p99 {TARGET_P99_MS} ms: "
            f"{'met' if p99 <= TARGET_P99_MS else 'missed'}"
        )
        batch = records[args.warmup :]
        started = time.perf_counter()
        many = duplicate_candidates_many(viewer=viewer, values=batch, object_type="customers")
        total_ms = (time.perf_counter() - started) * 1000
        print(
            f"batched check of {len(batch)} new customers (the import path): {total_ms:.0f} ms, "
            f"{total_ms / len(batch):.2f} ms per record, {sum(map(len, many)) / len(batch):.1f} candidates each"
        )
        if args.scan:
            for object_type in ("contacts", "customers"):
                started = time.perf_counter()
                pairs = sum(1 for _pair in scan_pairs(object_type=object_type))
                print(f"scan of all {object_type}: {time.perf_counter() - started:.1f} s, {pairs:,} pairs", flush=True)
    finally:
        if sqlite and not args.keep:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{args.db}{suffix}").unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
