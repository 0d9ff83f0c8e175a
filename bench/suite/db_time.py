"""The database's own time for a workload: its SQL recorded in-process, then replayed on a plain cursor.

For a sample of a workload's distinct requests, the request is rendered in-process with Django's test
client (no HTTP, no gunicorn), every SQL statement it runs is recorded, and the SELECTs are run again
on a plain cursor, fetching every row. The sum per request is the database's time; the ratio to the
HTTP p50 says how much of a request is the database and how much is Python.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.suite.catalogue import Request
from bench.suite.measuring import percentile

DB_SAMPLES = 40  # distinct requests per workload whose SQL is replayed


@dataclass
class DbTime:
    requests: int
    queries_per_request: float
    db_p50: float  # ms
    db_p99: float
    app_p50: float  # the same request rendered in-process (Django, no HTTP)
    slowest_sql: str
    slowest_sql_ms: float


@dataclass
class Statement:
    sql: str
    params: Any
    many: bool


@dataclass
class Recorder:
    """An execute wrapper that keeps every statement and how long its execute call took."""

    statements: list[Statement] = field(default_factory=list)
    seconds: float = 0.0

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        self.statements.append(Statement(sql=sql, params=params, many=many))
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started


def replay_ms(statements: list[Statement]) -> tuple[float, str, float]:
    """Run the reads again on a plain cursor, fetching every row: (total ms, slowest SQL, its ms)."""
    from django.db import connection

    total, slowest, slowest_ms = 0.0, "", 0.0
    with connection.cursor() as cursor:
        for statement in statements:
            if statement.many or not statement.sql.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            started = time.perf_counter()
            cursor.execute(statement.sql, statement.params)
            cursor.fetchall()
            elapsed = (time.perf_counter() - started) * 1000
            total += elapsed
            if elapsed > slowest_ms:
                slowest, slowest_ms = statement.sql, elapsed
    return total, slowest, slowest_ms


def send(client: Any, request: Request) -> Any:
    if request.method == "GET":
        return client.get(request.path)
    return client.post(request.path, data=request.data or {}, headers={"HX-Request": "true"})


def measure(requests: list[Request], username: str) -> DbTime:
    from django.db import connection, reset_queries
    from django.test import Client

    from crm.identity.models import User

    client = Client()
    client.force_login(User.objects.get(username=username))
    distinct = list({(r.method, r.path, repr(r.data)): r for r in requests}.values())[:DB_SAMPLES]
    db_ms: list[float] = []
    app_ms: list[float] = []
    queries: list[int] = []
    slowest, slowest_ms = "", 0.0
    for request in distinct:
        send(client, request)  # warm caches the way the HTTP run did
        recorder = Recorder()
        started = time.perf_counter()
        with connection.execute_wrapper(recorder):
            send(client, request)
        app_ms.append((time.perf_counter() - started) * 1000)
        replay_ms(recorder.statements)  # once to warm, once to measure
        total, sql, sql_ms = replay_ms(recorder.statements)
        db_ms.append(total)
        queries.append(len(recorder.statements))
        if sql_ms > slowest_ms:
            slowest, slowest_ms = sql, sql_ms
        reset_queries()
    return DbTime(
        requests=len(distinct),
        queries_per_request=round(statistics.fmean(queries), 1),
        db_p50=round(percentile(db_ms, 50), 2),
        db_p99=round(percentile(db_ms, 99), 2),
        app_p50=round(percentile(app_ms, 50), 2),
        slowest_sql=slowest if len(slowest) <= 800 else f"{slowest[:300]} … {slowest[-500:]}",
        slowest_sql_ms=round(slowest_ms, 2),
    )
