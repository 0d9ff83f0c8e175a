"""Benchmark runner: seed demo data, serve the CRM, time real HTTP requests against it.

    .venv/bin/python bench/run.py --scale 1000000 [--requests 200] [--reuse]

SQLite by default (a fresh file, var/bench.sqlite3); PostgreSQL when DATABASE_URL points at
one. Every workload runs sequentially over one keep-alive HTTP connection to `crm serve` on
127.0.0.1; its SQL is then captured in-process and replayed to measure the database's own
share. Results go to bench/results/<date>-<vendor>.json and a Markdown table on stdout.
Timings are reported, never asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

ROOT = Path(__file__).resolve().parent.parent
CRM = ROOT / ".venv" / "bin" / "crm"
RESULTS = ROOT / "bench" / "results"
DEFAULT_DB = ROOT / "var" / "bench.sqlite3"
PROTECTED_DB = ROOT / "var" / "crm.sqlite3"
PASSWORD = "demo1234"  # noqa: S105  (the demo accounts' published password)
HOST = "127.0.0.1"
TARGET_P50_MS = 50.0
TARGET_P99_MS = 150.0
SERVER_START_TIMEOUT = 120.0
DB_SAMPLES = 40  # distinct requests per workload whose SQL is replayed


# Measurements ---------------------------------------------------------------------------------


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (p99 of 200 samples is the 198th smallest)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Stats:
    count: int
    p50: float
    p95: float
    p99: float
    max: float
    mean: float

    @classmethod
    def of(cls, millis: list[float]) -> Stats:
        return cls(
            count=len(millis),
            p50=round(percentile(millis, 50), 2),
            p95=round(percentile(millis, 95), 2),
            p99=round(percentile(millis, 99), 2),
            max=round(max(millis), 2),
            mean=round(statistics.fmean(millis), 2),
        )


@dataclass
class DbTime:
    """The page's own SQL replayed on a direct connection, per page (ms)."""

    pages: int
    queries_per_page: float
    db_p50: float
    db_p99: float
    app_p50: float  # the same page rendered in-process (Django, no HTTP)
    slowest_sql: str
    slowest_sql_ms: float


@dataclass
class WorkloadResult:
    key: str
    title: str
    user: str
    http: Stats
    distinct_urls: int
    sample_urls: list[str]
    db: DbTime | None = None
    errors: int = 0
    db_share_of_p50: float | None = None
    meets_target: bool = False


@dataclass
class Workload:
    key: str
    title: str
    user: str
    urls: list[str]  # one per measured request; warm-up uses other ones
    warmup: list[str]
    expect: str  # text every answer must contain (a sanity check that the page is real)


# Seeding and the server -----------------------------------------------------------------------


def run_crm(args: list[str], env: dict[str, str]) -> float:
    """Run a `crm` command to completion; return its wall time in seconds."""
    started = time.perf_counter()
    subprocess.run([str(CRM), *args], env=env, cwd=ROOT, check=True)
    return time.perf_counter() - started


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@contextmanager
def crm_server(env: dict[str, str], workers: int, log: Path) -> Iterator[str]:
    """`crm serve` on a free loopback port for the duration of the block; always stopped."""
    port = free_port()
    base = f"http://{HOST}:{port}"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [str(CRM), "serve", "--host", HOST, "--port", str(port), "--workers", str(workers)],
            env=env,
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + SERVER_START_TIMEOUT
            while True:
                if server.poll() is not None:
                    raise RuntimeError(f"crm serve exited with {server.returncode}; see {log}")
                try:
                    if httpx.get(f"{base}/login/", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"crm serve did not answer within {SERVER_START_TIMEOUT:.0f} s; see {log}")
                time.sleep(0.25)
            yield base
        finally:
            if server.poll() is None:
                server.send_signal(signal.SIGTERM)  # gunicorn's graceful stop of master and workers
                with suppress(subprocess.TimeoutExpired):
                    server.wait(timeout=30)
            # A worker stuck in a request outlives its master; the server runs in its own
            # session, so its process group holds only the server's processes.
            with suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)


_CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def sign_in(base: str, username: str) -> httpx.Client:
    """A keep-alive client holding a session signed in through the real login form."""
    client = httpx.Client(base_url=base, timeout=30, follow_redirects=False)
    form = client.get("/login/")
    token = _CSRF_FIELD.search(form.text)
    if form.status_code != 200 or token is None:
        raise RuntimeError(f"no sign-in form at /login/ (HTTP {form.status_code})")
    answer = client.post(
        "/login/",
        data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)},
        headers={"Referer": f"{base}/login/"},
    )
    if answer.status_code != 302 or "sessionid" not in client.cookies:
        raise RuntimeError(f"signing in as {username} failed (HTTP {answer.status_code})")
    return client


def time_requests(client: httpx.Client, workload: Workload) -> tuple[list[float], int]:
    """Warm up, then time each request (send to last byte read), sequentially."""
    for url in workload.warmup:
        client.get(url)
    millis: list[float] = []
    errors = 0
    for url in workload.urls:
        started = time.perf_counter()
        try:
            answer = client.get(url)
            body = answer.text
        except httpx.TimeoutException:
            millis.append((time.perf_counter() - started) * 1000)
            errors += 1
            print(f"    timed out: {url}", flush=True)
            continue
        millis.append((time.perf_counter() - started) * 1000)
        if answer.status_code != 200 or workload.expect not in body:
            errors += 1
            print(f"    HTTP {answer.status_code}: {url}", flush=True)
    return millis, errors


# Workloads ------------------------------------------------------------------------------------


@dataclass
class Vocabulary:
    name_terms: list[str]
    initials_terms: list[str]


def search_vocabulary() -> Vocabulary:
    """Terms users would type, from the words demo names are made of."""
    from crm.core.pinyin import pinyin_forms
    from crm.demo import vocabulary as words

    regions = [region[0] for region in words.REGIONS]
    trades = words.TRADE_WORDS
    industries = [word for word, _ in words.INDUSTRIES]
    rng = random.Random(7)
    names: list[str] = ["字节跳动", "华信"]
    names += rng.sample(trades, 6)  # two characters: the LIKE path
    names += [f"{rng.choice(trades)}{rng.choice(industries)}" for _ in range(12)]  # e.g. 恒达科技
    names += [f"{rng.choice(regions)}{rng.choice(trades)}" for _ in range(12)]  # e.g. 北京华信
    names += [f"{a}{b}" for a, b in zip(rng.sample(trades, 8), rng.sample(trades, 8), strict=True) if a != b]
    names += ["恒达科技", "北京华信"]
    initials: list[str] = ["bjhx", "shhd", "zjtd"]
    for _ in range(30):
        region, trade = rng.choice(regions), rng.choice(trades)
        initials.append(pinyin_forms(region)[1] + pinyin_forms(trade)[1])  # e.g. bjhx = 北京华信
    for _ in range(10):
        trade, industry = rng.choice(trades), rng.choice(industries)
        initials.append(pinyin_forms(trade)[1] + pinyin_forms(industry)[1])  # e.g. hdkj = 恒达科技
    return Vocabulary(name_terms=list(dict.fromkeys(names)), initials_terms=list(dict.fromkeys(initials)))


def cycle[T](items: list[T], count: int, offset: int = 0) -> list[T]:
    return [items[(offset + i) % len(items)] for i in range(count)]


def rep1_pages(client: httpx.Client, owner_id: int, depth: int) -> list[str]:
    """rep1's own list and the keyset pages that follow it, as the "more" button asks for them."""
    urls = [f"/customers/?owner={owner_id}&sort=-created_at"]
    for _ in range(depth - 1):
        page = client.get(urls[-1])
        found = re.search(r"[?&;]cursor=([A-Za-z0-9_\-]+)", page.text)
        if found is None:
            break
        urls.append(f"/customers/?owner={owner_id}&sort=-created_at&cursor={found.group(1)}")
    return urls


def build_workloads(
    requests: int, warmup: int, rep_pages: list[str], owner_ids: list[int], customer_ids: list[int]
) -> list[Workload]:
    vocab = search_vocabulary()
    rng = random.Random(2026)
    ids = customer_ids[:]
    rng.shuffle(ids)
    names = vocab.name_terms[:]
    rng.shuffle(names)
    initials = vocab.initials_terms[:]
    rng.shuffle(initials)
    director_lists = [f"/customers/?owner={owner}&sort=-created_at" for owner in owner_ids]

    def split(urls: list[str]) -> tuple[list[str], list[str]]:
        return cycle(urls, requests, warmup), cycle(urls, warmup)

    def q(term: str) -> str:
        return f"/customers/?{urlencode({'q': term})}"

    table = 'data-testid="customer-table"'
    workloads = []
    for key, title, user, urls, expect in [
        (
            "list_owner_rep",
            "Customer list, owner filter, newest first (rep1, own; pages 1-5)",
            "rep1",
            rep_pages,
            table,
        ),
        (
            "list_owner_director",
            "Customer list, owner filter, newest first (director; 18 owners)",
            "director",
            director_lists,
            table,
        ),
        ("search_name", "Search by name substring (director)", "director", [q(t) for t in names], table),
        (
            "search_initials",
            "Search by pinyin initials (director)",
            "director",
            [q(t) for t in initials],
            table,
        ),
        ("detail", "Customer detail page (director)", "director", [f"/customers/{i}/" for i in ids], "activity-panel"),
        (
            "detail_panel",
            "Customer detail: follow-up panel, loaded by htmx (director)",
            "director",
            [f"/activities/customer/{i}/" for i in ids],
            "<form",
        ),
    ]:
        measured, warm = split(urls)
        workloads.append(Workload(key=key, title=title, user=user, urls=measured, warmup=warm, expect=expect))
    return workloads


# The database's own time ----------------------------------------------------------------------


@dataclass
class Statement:
    sql: str
    params: Any
    many: bool


@dataclass
class Captured:
    statements: list[Statement] = field(default_factory=list)

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        self.statements.append(Statement(sql=sql, params=params, many=many))
        return execute(sql, params, many, context)


def replay_ms(statements: list[Statement]) -> tuple[float, str, float]:
    """Run the page's reads again on a plain cursor, fetching every row; (total, slowest sql, its ms)."""
    from django.db import connection

    total, slowest, slowest_ms = 0.0, "", 0.0
    with connection.cursor() as cursor:
        for statement in statements:
            if statement.many or not statement.sql.lstrip().upper().startswith("SELECT"):
                continue
            started = time.perf_counter()
            cursor.execute(statement.sql, statement.params)
            cursor.fetchall()
            elapsed = (time.perf_counter() - started) * 1000
            total += elapsed
            if elapsed > slowest_ms:
                slowest, slowest_ms = statement.sql, elapsed
    return total, slowest, slowest_ms


def measure_db(workload: Workload, username: str) -> DbTime:
    """Render sample pages in-process, capture their SQL, replay it and time the database alone."""
    from django.db import connection, reset_queries
    from django.test import Client

    from crm.identity.models import User

    client = Client()
    client.force_login(User.objects.get(username=username))
    urls = list(dict.fromkeys(workload.urls))[:DB_SAMPLES]
    db_ms: list[float] = []
    app_ms: list[float] = []
    queries: list[int] = []
    slowest, slowest_ms = "", 0.0
    for url in urls:
        client.get(url)  # warm caches the same way the HTTP run did
        captured = Captured()
        started = time.perf_counter()
        with connection.execute_wrapper(captured):
            client.get(url)
        app_ms.append((time.perf_counter() - started) * 1000)
        replay_ms(captured.statements)  # once to warm, once to measure
        total, sql, sql_ms = replay_ms(captured.statements)
        db_ms.append(total)
        queries.append(len(captured.statements))
        if sql_ms > slowest_ms:
            slowest, slowest_ms = sql, sql_ms
        reset_queries()
    return DbTime(
        pages=len(urls),
        queries_per_page=round(statistics.fmean(queries), 1),
        db_p50=round(percentile(db_ms, 50), 2),
        db_p99=round(percentile(db_ms, 99), 2),
        app_p50=round(percentile(app_ms, 50), 2),
        slowest_sql=slowest if len(slowest) <= 800 else f"{slowest[:300]} … {slowest[-500:]}",
        slowest_sql_ms=round(slowest_ms, 2),
    )


# Orchestration --------------------------------------------------------------------------------


def database_url(db_path: Path) -> tuple[str, str]:
    """(DATABASE_URL, vendor): PostgreSQL from the environment, otherwise the bench SQLite file."""
    given = os.environ.get("DATABASE_URL", "")
    if given.startswith(("postgres://", "postgresql://")):
        return given, "postgresql"
    return f"sqlite:///{db_path}", "sqlite"


def prepare_sqlite_file(db_path: Path, reuse: bool) -> None:
    if db_path.resolve() == PROTECTED_DB.resolve():
        raise SystemExit(f"refusing to benchmark on {PROTECTED_DB}: it is the everyday database")
    if reuse and db_path.exists():
        return
    for suffix in ("", "-wal", "-shm", ".seed.json"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    db_path.parent.mkdir(parents=True, exist_ok=True)


def seed(env: dict[str, str], scale: int, reuse: bool, seed_file: Path) -> dict[str, Any]:
    """Migrate, then load demo data (timed) unless reusing a database already holding `scale` customers."""
    migrate_s = run_crm(["migrate", "--verbosity", "0"], env)
    from crm.customers.models import Customer

    existing = Customer.all_objects.count()
    if reuse and existing:
        if existing != scale:
            raise SystemExit(f"--reuse: the database holds {existing:,} customers, not {scale:,}")
        info: dict[str, Any] = json.loads(seed_file.read_text()) if seed_file.exists() else {}
        return {**info, "reused": True, "migrate_seconds": round(migrate_s, 1)}
    if existing:
        raise SystemExit("the database already holds customers; pass --reuse or point at an empty database")
    print(f"Seeding {scale:,} customers ...", flush=True)
    seed_s = run_crm(["demo", "--scale", str(scale)], env)
    info = {"seed_seconds": round(seed_s, 1), "seeded_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    seed_file.write_text(json.dumps(info))
    return {**info, "reused": False, "migrate_seconds": round(migrate_s, 1)}


def row_counts() -> dict[str, int]:
    from crm.activities.models import Activity
    from crm.customers.models import Contact, Customer

    return {
        "customers": Customer.all_objects.count(),
        "contacts": Contact.all_objects.count(),
        "activities": Activity.all_objects.count(),
    }


def machine() -> dict[str, Any]:
    import sqlite3

    import django

    load = os.getloadavg()
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "sqlite": sqlite3.sqlite_version,
        "load_average_at_start": [round(value, 2) for value in load],
    }


def markdown(results: list[WorkloadResult], meta: dict[str, Any]) -> str:
    seed_s = meta["seed"].get("seed_seconds")
    lines = [
        f"Scale {meta['scale']:,} customers on {meta['vendor']}; seed "
        + (f"{seed_s:,.0f} s ({seed_s / 60:.1f} min)" if seed_s else "n/a")
        + f"; {meta['requests']} requests per workload, sequential, keep-alive; {meta['machine']['cpus']} CPUs.",
        "",
        "| workload | p50 ms | p95 ms | p99 ms | max ms | in-process ms p50 | DB ms p50 | DB share of p50 | queries "
        "| target |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for result in results:
        db = result.db
        share = f"{result.db_share_of_p50:.0%}" if result.db_share_of_p50 is not None else "-"
        lines.append(
            f"| {result.title} | {result.http.p50:.1f} | {result.http.p95:.1f} | {result.http.p99:.1f} "
            f"| {result.http.max:.1f} | {db.app_p50 if db else '-'} | {db.db_p50 if db else '-'} | {share} "
            f"| {db.queries_per_page if db else '-'} "
            f"| {'met' if result.meets_target else 'MISSED'}{f' ({result.errors} errors)' if result.errors else ''} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=1_000_000, help="demo customers (default 1,000,000)")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per workload (default 200)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests per workload first (default 20)")
    parser.add_argument("--reuse", action="store_true", help="keep an already seeded database; skip seeding")
    parser.add_argument("--db", type=Path, default=DEFAULT_DB, help="SQLite file (default var/bench.sqlite3)")
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) + 1, help="gunicorn workers")
    parser.add_argument("--delete-db", action="store_true", help="delete the SQLite file afterwards")
    parser.add_argument("--no-db-time", action="store_true", help="skip replaying SQL for the DB share")
    parser.add_argument("--results", type=Path, default=RESULTS, help="folder for the JSON (default bench/results)")
    args = parser.parse_args(argv)
    if args.requests < 1 or args.warmup < 0:
        parser.error("--requests must be positive and --warmup not negative")

    db_path = args.db.resolve()
    url, vendor = database_url(db_path)
    if vendor == "sqlite":
        prepare_sqlite_file(db_path, args.reuse)
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings"}
    env.pop("DEBUG", None)  # DEBUG keeps every query in memory: not what production runs
    os.environ.update({"DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings"})
    os.environ.pop("DEBUG", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()

    from crm.customers.models import Customer
    from crm.identity.models import User

    started_at = dt.datetime.now(dt.UTC)
    seed_info = seed(env, args.scale, args.reuse, Path(f"{db_path}.seed.json"))
    counts = row_counts()
    reps = list(User.objects.filter(username__startswith="rep").order_by("id"))
    owner_ids = [rep.pk for rep in reps]
    rep1 = next(rep for rep in reps if rep.username == "rep1")
    id_range = Customer.objects.order_by("id").values_list("id", flat=True)
    first, last = id_range.first() or 0, id_range.last() or 0
    customer_ids = random.Random(11).sample(range(first, last + 1), min(2000, last - first + 1))

    results: list[WorkloadResult] = []
    with tempfile.TemporaryDirectory(prefix="crm-bench-") as scratch:
        log = Path(scratch) / "server.log"
        try:
            with crm_server(env, args.workers, log) as base:
                clients = {name: sign_in(base, name) for name in ("director", "rep1")}
                try:
                    pages = rep1_pages(clients["rep1"], rep1.pk, depth=5)
                    workloads = build_workloads(args.requests, args.warmup, pages, owner_ids, customer_ids)
                    for workload in workloads:
                        print(f"  {workload.key} ...", flush=True)
                        millis, errors = time_requests(clients[workload.user], workload)
                        results.append(
                            WorkloadResult(
                                key=workload.key,
                                title=workload.title,
                                user=workload.user,
                                http=Stats.of(millis),
                                distinct_urls=len(set(workload.urls)),
                                sample_urls=list(dict.fromkeys(workload.urls))[:8],
                                errors=errors,
                            )
                        )
                finally:
                    for client in clients.values():
                        client.close()
        except Exception:
            if log.exists():
                print(log.read_text()[-4000:], file=sys.stderr)
            raise
    if not args.no_db_time:
        for workload, result in zip(workloads, results, strict=True):
            result.db = measure_db(workload, workload.user)
            result.db_share_of_p50 = round(result.db.db_p50 / result.http.p50, 3) if result.http.p50 else None
    for result in results:
        result.meets_target = result.errors == 0 and result.http.p50 < TARGET_P50_MS and result.http.p99 < TARGET_P99_MS

    meta: dict[str, Any] = {
        "started_at": started_at.isoformat(timespec="seconds"),
        "vendor": vendor,
        "scale": args.scale,
        "requests": args.requests,
        "warmup": args.warmup,
        "workers": args.workers,
        "targets_ms": {"p50": TARGET_P50_MS, "p99": TARGET_P99_MS},
        "seed": seed_info,
        "rows": counts,
        "database_bytes": sum(
            Path(f"{db_path}{suffix}").stat().st_size
            for suffix in ("", "-wal")
            if vendor == "sqlite" and Path(f"{db_path}{suffix}").exists()
        ),
        "machine": machine(),
    }
    args.results.mkdir(parents=True, exist_ok=True)
    out = args.results.resolve() / f"{started_at.date().isoformat()}-{vendor}.json"
    out.write_text(
        json.dumps({**meta, "workloads": [asdict(result) for result in results]}, ensure_ascii=False, indent=2) + "\n"
    )
    print()
    print(markdown(results, meta))
    print(f"\nWrote {out}")
    if args.delete_db and vendor == "sqlite":
        for suffix in ("", "-wal", "-shm", ".seed.json"):
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
