"""Import speed (导入): 100,000 generated lead rows through the whole import pipeline.

Writes a CSV of realistic Chinese leads (names, companies, mobiles, emails, regions, external
ids), then in-process on a fresh SQLite file (var/bench_imports.sqlite3) or on the PostgreSQL
database DATABASE_URL points at:

- `pipeline`: `crm import leads FILE` as the CLI runs it: read and decode the file, map the
  columns, clean every row with the services' cleaners, match on external_id, look for
  duplicates, then `lead_create_many` (bulk inserts in batches, one audit entry per lead,
  search text and duplicate keys), all in one transaction. Target: under 60 s for 100,000 rows.
- `raw`: the same rows, already as database values, inserted with one multi-row
  `executemany` into the same table in one transaction (no validation, no audit, no search
  text): the floor the pipeline is compared to.

Timings are reported, not asserted.

    .venv/bin/python bench/imports.py --rows 100000
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CRM = ROOT / ".venv" / "bin" / "crm"
DEFAULT_DB = ROOT / "var" / "bench_imports.sqlite3"
PROTECTED_DB = ROOT / "var" / "crm.sqlite3"
TARGET_SECONDS = 60.0
MOBILE_PREFIXES = ["130", "131", "135", "136", "138", "139", "150", "151", "158", "177", "186", "188"]
HEADERS = ["姓名", "公司名称", "职位", "手机", "邮箱", "省份", "城市", "行业", "年营收", "外部编号"]


def generate_rows(count: int, seed: int = 2026) -> list[list[str]]:
    from crm.demo import vocabulary as words

    rng = random.Random(seed)
    rows = []
    for number in range(count):
        _short, province, city, _districts = rng.choice(words.REGIONS)
        trade = rng.choice(words.TRADE_WORDS) + rng.choice(words.TRADE_WORDS)
        industry_word, industry = rng.choice(words.INDUSTRIES)
        company = f"{city.removesuffix('市')}{trade}{industry_word}{rng.choice(words.SUFFIXES)}"
        person = rng.choice(words.SURNAMES) + "".join(rng.choices(words.GIVEN_NAMES, k=rng.choice([1, 2])))
        rows.append(
            [
                person,
                company,
                rng.choice(words.TITLES),
                f"{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**8):08d}",
                f"lead{number}@{rng.choice(['qq.com', '163.com', 'example.cn', 'corp.cn'])}",
                province,
                city,
                industry,
                str(rng.randrange(1, 500) * 100_000),
                f"BENCH-{number:07d}",
            ]
        )
    return rows


def write_csv(rows: list[list[str]], path: Path) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        writer.writerows(rows)


def raw_insert(rows: list[list[str]], owner_id: int, team_id: int | None) -> float:
    """The same rows inserted as database values with one executemany, in one transaction."""
    from django.db import connection, transaction

    from crm.leads.models import Lead

    meta = Lead._meta
    given = ["name", "company_name", "title", "mobile", "email", "province", "city", "industry", "annual_revenue",
             "external_id", "owner_id", "team_id", "channel", "created_at", "updated_at"]  # fmt: skip
    by_name = {name: field for field in meta.concrete_fields for name in (field.name, field.attname)}
    fields = [by_name[name] for name in given]
    rest = [field for field in meta.concrete_fields if not field.primary_key and field not in fields]
    tail = tuple(field.get_db_prep_save(field.get_default(), connection) for field in rest)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(field.column)) for field in [*fields, *rest])
    marks = ", ".join(["%s"] * (len(fields) + len(rest)))
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608
    now = dt.datetime.now(tz=dt.UTC)
    stamp = str(now.replace(tzinfo=None)) if connection.vendor == "sqlite" else now
    values = [
        (r[0], r[1], r[2], f"+86{r[3]}", r[4], r[5], r[6], r[7], r[8], f"{r[9]}-RAW", owner_id, team_id, "import",
         stamp, stamp, *tail)
        for r in rows
    ]  # fmt: skip
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for start in range(0, len(values), 2000):
            cursor.executemany(sql, values[start : start + 2000])
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--db", type=Path, default=DEFAULT_DB)
    parser.add_argument("--keep", action="store_true", help="keep the SQLite file")
    args = parser.parse_args()

    given = os.environ.get("DATABASE_URL", "")
    sqlite = not given.startswith(("postgres://", "postgresql://"))
    if sqlite:
        if args.db.resolve() == PROTECTED_DB.resolve():
            sys.exit("Refusing to use var/crm.sqlite3; pass another --db.")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{args.db}{suffix}").unlink(missing_ok=True)
        args.db.parent.mkdir(parents=True, exist_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{args.db.resolve()}"
    env = {**os.environ}
    subprocess.run([str(CRM), "migrate", "-v", "0"], env=env, cwd=ROOT, check=True)
    subprocess.run([str(CRM), "demo", "--scale", "100", "--quiet"], env=env, cwd=ROOT, check=True)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection

    from crm.identity.models import User
    from crm.imports import services
    from crm.leads.models import Lead

    phases: dict[str, float] = {}

    def timed(name: str) -> None:
        # Wraps one step of the pipeline to report where the time goes.
        step = getattr(services, name)

        def run(*call_args: object, **call_kwargs: object) -> object:
            started, cpu = time.perf_counter(), time.process_time()
            try:
                return step(*call_args, **call_kwargs)
            finally:
                phases[name] = phases.get(name, 0.0) + time.perf_counter() - started
                phases[f"{name}_cpu"] = phases.get(f"{name}_cpu", 0.0) + time.process_time() - cpu

        setattr(services, name, run)

    timed("_check")
    timed("_write")
    rows = generate_rows(args.rows)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "leads.csv"
        write_csv(rows, path)
        size_mb = path.stat().st_size / 1024 / 1024
        user = User.objects.get(username="admin")
        actor = services.import_actor(user)
        started, cpu_started = time.perf_counter(), time.process_time()
        job = services.import_job_create(
            actor=actor, object_type="leads", file_name=path.name, data=path.read_bytes(), mode="upsert"
        )
        services.import_job_queue(actor=actor, job_id=job.pk, background=False)
        job = services.import_job_run(actor=actor, job_id=job.pk)
        pipeline = time.perf_counter() - started
        pipeline_cpu = time.process_time() - cpu_started
    if job.status != "done" or job.created_count != args.rows:
        sys.exit(f"import did not finish as expected: {job.status} {job.error} created={job.created_count}")
    raw = raw_insert(rows, user.pk, user.team_id)
    total = Lead.objects.count()
    print(f"| workload | rows | seconds | rows/s |  ({connection.vendor}, CSV {size_mb:.1f} MB, {total:,} leads after)")
    print("|---|---:|---:|---:|")
    print(f"| pipeline (`crm import leads`) | {args.rows:,} | {pipeline:.1f} | {args.rows / pipeline:,.0f} |")
    print(f"| raw bulk insert | {args.rows:,} | {raw:.1f} | {args.rows / raw:,.0f} |")
    print(f"\ncheck every row: {phases.get('_check', 0):.1f} s (CPU {phases.get('_check_cpu', 0):.1f} s); "
          f"write (bulk services, audit, lead intake): {phases.get('_write', 0):.1f} s "
          f"(CPU {phases.get('_write_cpu', 0):.1f} s); whole pipeline CPU {pipeline_cpu:.1f} s")  # fmt: skip
    load = os.getloadavg()[0]
    print(f"load average during the run: {load:.1f} on {os.cpu_count()} CPUs (a busy machine stretches wall time)")
    verdict = "meets" if pipeline < TARGET_SECONDS else "misses"
    print(f"\npipeline / raw = {pipeline / raw:.1f}×; {verdict} the {TARGET_SECONDS:.0f} s target")
    if sqlite and not args.keep:
        connection.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{args.db}{suffix}").unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
