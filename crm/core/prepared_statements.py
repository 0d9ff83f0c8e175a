"""A cursor for statements run again and again: prepared once per connection on PostgreSQL.

Django sends PostgreSQL each statement with its values written into the SQL text (client-side
binding), so the server parses and plans it afresh on every call. For a statement that a hot path
runs thousands of times with new values (the duplicate check on each pause in typing, an import's
key lookups of a few hundred subqueries), that parsing and planning costs more than reading the
few rows it finds. Here such a statement goes with separate values and is prepared on the server
the first time a connection runs it; later calls only bind and execute.

SQLite needs nothing: Python's sqlite3 keeps compiled statements per connection already.
The cursor is still Django's wrapper, so the statements are logged and counted like any other. The
connection's `prepare_threshold` (config/settings.py) must not be None, or psycopg prepares nothing.

Prepared statements belong to one server connection: behind a transaction-pooling proxy (PgBouncer
in `pool_mode = transaction`), the proxy must track them (PgBouncer 1.21+, `max_prepared_statements`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from django.db import connection
from django.db.backends.utils import CursorWrapper


@contextmanager
def prepared_cursor() -> Iterator[CursorWrapper]:
    """A cursor whose `execute` prepares its statement on the server (PostgreSQL), else a plain one."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            yield cursor
        return
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    raw: Any = _PreparingCursor(connection.connection)  # a driver cursor; the stubs expect a wrapper here
    wrapped = connection.make_debug_cursor(raw) if connection.queries_logged else connection.make_cursor(raw)
    with wrapped as cursor:
        yield cursor


class _PreparingCursor(psycopg.Cursor[Any]):
    """Server-side binding, and every statement prepared (psycopg keeps the prepared ones by SQL text)."""

    def execute(
        self, query: Any, params: Any = None, *, prepare: bool | None = None, binary: bool | None = None
    ) -> Any:
        return super().execute(query, params, prepare=True, binary=binary)
