"""Importing 100,000 leads with duplicate checks, against a raw bulk insert of the same rows.

In-process, exactly as `crm import leads FILE` runs: read and decode the CSV, map the headers, clean
every row, match on external_id, check each row for duplicates against every customer, contact and
lead (the scored check), then `lead_create_many` (audit entries, search text, intake). Then the same
rows, already database values, go into the same table with one `executemany` per 2,000 rows: the
floor the pipeline is compared with. Target: the pipeline's rows/s at least half the raw insert's.

Both run inside one transaction that is rolled back at the end, so the measured database keeps the
seeded data and a --reuse run measures the same thing again.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.suite import targets
from bench.suite.db_time import Recorder
from bench.suite.measuring import stopwatch
from bench.suite.results import MET, MISSED, WorkloadResult

MOBILE_PREFIXES = ["130", "131", "135", "136", "138", "139", "150", "151", "158", "177", "186", "188"]
HEADERS = ["姓名", "公司名称", "职位", "手机", "邮箱", "省份", "城市", "行业", "年营收", "外部编号"]
RAW_BATCH = 2000


class _RollBack(Exception):
    """Raised at the end of the measured block so its transaction is rolled back."""


def generate_rows(count: int, seed: int = 2026) -> list[list[str]]:
    """Realistic new leads: people at companies named the way the demo names its customers."""
    from crm.demo import vocabulary as words

    rng = random.Random(seed)
    rows = []
    for number in range(count):
        _short, province, city, _districts = rng.choice(words.REGIONS)
        trade = rng.choice(words.TRADE_WORDS) + rng.choice(words.TRADE_WORDS)
        industry_word, industry = rng.choice(words.INDUSTRIES)
        company = f"{city.removesuffix('市')}{trade}{industry_word}{rng.choice(words.SUFFIXES)}"
        person = rng.choice(words.SURNAMES) + "".join(rng.choices(words.GIVEN_NAMES, k=rng.choice([1, 2])))
        rows.append([
            person, company, rng.choice(words.TITLES), f"{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**8):08d}",
            f"lead{number}@{rng.choice(['qq.com', '163.com', 'example.cn', 'corp.cn'])}", province, city, industry,
            str(rng.randrange(1, 500) * 100_000), f"BENCH-{number:07d}",
        ])  # fmt: skip
    return rows


def _write_csv(rows: list[list[str]], path: Path) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        writer.writerows(rows)


def raw_insert(rows: list[list[str]], owner_id: int, team_id: int | None) -> float:
    """The same rows inserted as database values with executemany; seconds."""
    from django.db import connection

    from crm.leads.models import Lead

    meta = Lead._meta
    given = ["name", "company_name", "title", "mobile", "email", "province", "city", "industry", "annual_revenue",
             "external_id", "owner_id", "team_id", "channel", "created_at", "updated_at"]  # fmt: skip
    by_name = {name: f for f in meta.concrete_fields for name in (f.name, f.attname)}
    fields = [by_name[name] for name in given]
    rest = [f for f in meta.concrete_fields if not f.primary_key and f not in fields]
    tail = tuple(f.get_db_prep_save(f.get_default(), connection) for f in rest)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(f.column)) for f in [*fields, *rest])
    marks = ", ".join(["%s"] * (len(fields) + len(rest)))
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608
    now = dt.datetime.now(tz=dt.UTC)
    stamp: Any = str(now.replace(tzinfo=None)) if connection.vendor == "sqlite" else now
    values = [
        (r[0], r[1], r[2], f"+86{r[3]}", r[4], r[5], r[6], r[7], r[8], f"{r[9]}-RAW", owner_id, team_id, "import",
         stamp, stamp, *tail)
        for r in rows
    ]  # fmt: skip
    with stopwatch() as watch, connection.cursor() as cursor:
        for start in range(0, len(values), RAW_BATCH):
            cursor.executemany(sql, values[start : start + RAW_BATCH])
    return watch.seconds


@contextmanager
def _phase_timers(phases: dict[str, float]) -> Iterator[None]:
    """Wrap the pipeline's check and write steps to report where the time goes; restored afterwards."""
    from crm.imports import services

    originals: dict[str, Callable[..., Any]] = {name: getattr(services, name) for name in ("_check", "_write")}

    def timed(name: str, step: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return step(*args, **kwargs)
            finally:
                phases[name] = phases.get(name, 0.0) + time.perf_counter() - started

        return run

    try:
        for name, step in originals.items():
            setattr(services, name, timed(name, step))
        yield
    finally:
        for name, step in originals.items():
            setattr(services, name, step)


def run(count: int) -> WorkloadResult:
    from django.db import connection, transaction

    from crm.identity.models import User
    from crm.imports import services

    result = WorkloadResult(
        key="import_leads", kind="run", title=f"Import {count:,} leads with duplicate checks vs a raw bulk insert",
        user="admin", target=targets.IMPORT.describe(),
    )  # fmt: skip
    rows = generate_rows(count)
    user = User.objects.get(username="admin")
    phases: dict[str, float] = {}
    recorder = Recorder()
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="crm-bench-import-") as folder:
        path = Path(folder) / "leads.csv"
        _write_csv(rows, path)
        try:
            with transaction.atomic():
                actor = services.import_actor(user)
                with stopwatch() as pipeline, _phase_timers(phases), connection.execute_wrapper(recorder):
                    job = services.import_job_create(
                        actor=actor, object_type="leads", file_name=path.name, data=path.read_bytes(), mode="upsert"
                    )
                    services.import_job_queue(actor=actor, job_id=job.pk, background=False)
                    job = services.import_job_run(actor=actor, job_id=job.pk)
                figures.update(status=job.status, created=job.created_count, warnings=job.warning_count,
                               rejected=job.rejected_count, error=job.error or "")  # fmt: skip
                raw_s = raw_insert(rows, user.pk, user.team_id)
                raise _RollBack
        except _RollBack:
            pass
    figures.update(
        rows=count,
        pipeline_seconds=round(pipeline.seconds, 2),
        pipeline_cpu_seconds=round(pipeline.cpu_seconds, 2),
        pipeline_sql_seconds=round(recorder.seconds, 2),
        check_seconds=round(phases.get("_check", 0.0), 2),
        write_seconds=round(phases.get("_write", 0.0), 2),
        raw_seconds=round(raw_s, 2),
        pipeline_rows_per_s=round(count / pipeline.seconds),
        raw_rows_per_s=round(count / raw_s),
        ratio=round(raw_s / pipeline.seconds, 3),
    )
    result.figures = figures
    result.summary = (
        f"{figures['pipeline_seconds']:.1f} s, {figures['pipeline_rows_per_s']:,} rows/s "
        f"(check {figures['check_seconds']:.1f} s, write {figures['write_seconds']:.1f} s)"
    )
    result.database_summary = (
        f"raw insert {raw_s:.1f} s, {figures['raw_rows_per_s']:,} rows/s: ratio {figures['ratio']:.0%}; "
        f"SQL inside the pipeline {recorder.seconds:.1f} s"
    )
    if figures["status"] != "done" or figures["created"] != count:
        result.status = MISSED
        result.reason = f"the import ended {figures['status']} with {figures['created']:,} rows: {figures['error']}"
    else:
        result.status = MET if figures["ratio"] >= (targets.IMPORT.min_ratio or 0) else MISSED
    result.note = (
        f"{figures['warnings']:,} rows flagged as likely duplicates; pipeline and raw insert run in one "
        "transaction that is rolled back afterwards"
    )
    return result
