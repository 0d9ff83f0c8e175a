"""Which database the suite measures, getting it ready, and seeding it (the seed is a workload too).

SQLite by default: a file under var/ (var/bench.sqlite3), created afresh unless --reuse. PostgreSQL
when DATABASE_URL says so: the database is created if missing and must be empty unless --reuse.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bench.suite.server import ROOT, run_crm

DEFAULT_SQLITE = ROOT / "var" / "bench.sqlite3"
PROTECTED_SQLITE = ROOT / "var" / "crm.sqlite3"
SQLITE_SUFFIXES = ("", "-wal", "-shm")


@dataclass(frozen=True)
class BenchDatabase:
    vendor: str  # "sqlite" or "postgresql"
    url: str
    sqlite_path: Path | None = None

    @property
    def label(self) -> str:
        if self.sqlite_path is None:
            return urlsplit(self.url).path.lstrip("/")
        inside = self.sqlite_path.is_relative_to(ROOT)
        return str(self.sqlite_path.relative_to(ROOT) if inside else self.sqlite_path)

    @property
    def seed_record(self) -> Path:
        """Where the seed's timing is kept, so --reuse can report it again."""
        if self.sqlite_path:
            return Path(f"{self.sqlite_path}.seed.json")
        return ROOT / "var" / f"bench-{self.label}.seed.json"

    def size_bytes(self) -> int | None:
        if self.sqlite_path is None:
            return None
        return sum(p.stat().st_size for s in SQLITE_SUFFIXES if (p := Path(f"{self.sqlite_path}{s}")).exists())


def choose(sqlite_path: Path | None) -> BenchDatabase:
    """PostgreSQL if DATABASE_URL points at one, otherwise the bench SQLite file (never var/crm.sqlite3)."""
    given = os.environ.get("DATABASE_URL", "")
    if given.startswith(("postgres://", "postgresql://")):
        return BenchDatabase(vendor="postgresql", url=given)
    path = (sqlite_path or DEFAULT_SQLITE).resolve()
    if path == PROTECTED_SQLITE.resolve():
        raise SystemExit(f"refusing to benchmark on {PROTECTED_SQLITE}: it is the everyday database")
    return BenchDatabase(vendor="sqlite", url=f"sqlite:///{path}", sqlite_path=path)


def prepare(database: BenchDatabase, *, reuse: bool) -> None:
    """A fresh SQLite file (unless reusing one), or a PostgreSQL database that exists."""
    if database.sqlite_path is not None:
        if reuse and database.sqlite_path.exists():
            return
        delete_sqlite(database.sqlite_path)
        database.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        return
    _create_postgresql_database(database.url)


def delete_sqlite(path: Path) -> None:
    for suffix in (*SQLITE_SUFFIXES, ".seed.json"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _create_postgresql_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists is None:
            print(f"Creating PostgreSQL database {name} ...", flush=True)
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def seed(database: BenchDatabase, env: dict[str, str], scale: int, *, reuse: bool) -> dict[str, Any]:
    """Migrate, then `crm demo --scale N` (timed) unless reusing a database seeded at that scale."""
    migrate_s = run_crm(["migrate", "--verbosity", "0"], env)
    from crm.customers.models import Customer

    existing = Customer.all_objects.count()
    recorded: dict[str, Any] = json.loads(database.seed_record.read_text()) if database.seed_record.exists() else {}
    if reuse and existing:
        seeded_scale = recorded.get("scale", existing)
        if seeded_scale != scale:
            raise SystemExit(f"--reuse: the database was seeded at scale {seeded_scale:,}, not {scale:,}")
        analyse()  # migrations since the seed may have added indexes the planner has no statistics for
        return {**recorded, "reused": True, "migrate_seconds": round(migrate_s, 1)}
    if existing:
        raise SystemExit(
            f"{database.label} already holds {existing:,} customers: pass --reuse to measure it again, "
            "or point at an empty database"
        )
    print(f"Seeding: crm demo --scale {scale:,} ...", flush=True)
    seed_s = run_crm(["demo", "--scale", str(scale), "--quiet"], env)
    info = {
        "scale": scale,
        "seed_seconds": round(seed_s, 1),
        "seeded_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    database.seed_record.parent.mkdir(parents=True, exist_ok=True)
    database.seed_record.write_text(json.dumps(info))
    analyse()
    return {**info, "reused": False, "migrate_seconds": round(migrate_s, 1)}


def analyse() -> None:
    """Fresh planner statistics after the load, as an operator would gather them after a bulk import.

    On PostgreSQL also a VACUUM: a run's import is rolled back and its scans rewrite their flag tables,
    leaving hundreds of thousands of dead rows for the next run to read past (a million-customer run after
    two others: lead reports three times slower) unless autovacuum has cleaned them up, and a server may
    run without it (autovacuum = off) or not have got round to it yet.
    """
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE")
            return
        # A full ANALYZE, not a sampled one: SQLite's sampled statistics (analysis_limit) undercount rows
        # per owner tenfold, and the planner then sorts every contact for a list sorted by name.
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA analysis_limit=0")
        cursor.execute("ANALYZE")


def row_counts() -> dict[str, int]:
    """How many rows the measured database holds, per table people list (deleted rows included)."""
    from django.db import connection

    tables = {
        "customers": "customers_customer",
        "contacts": "customers_contact",
        "follow_ups": "activities_activity",
        "tasks": "activities_task",
        "leads": "leads_lead",
        "deals": "deals_deal",
        "contracts": "contracts_contract",
        "instalments": "payments_instalment",
        "payments": "payments_payment",
        "invoices": "payments_invoice",
    }
    counts: dict[str, int] = {}
    with connection.cursor() as cursor:
        for key, table in tables.items():
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
            counts[key] = int(cursor.fetchone()[0])
    return counts


def machine() -> dict[str, Any]:
    import sqlite3

    import django
    from django.db import connection

    server_version = ""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            server_version = str(cursor.fetchone()[0])
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": server_version,
        "load_average_at_start": [round(value, 2) for value in os.getloadavg()],
    }
