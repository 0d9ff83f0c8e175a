"""Helpers for loading millions of rows at once (demo data today, imports later).

Keeping a dozen B-tree indexes up to date row by row costs far more than building them once
from sorted data at the end, so a bulk load may set the plain indexes aside while it runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, models


@contextmanager
def plain_indexes_deferred(*models_: type[models.Model]) -> Iterator[None]:
    """Drop the models' non-unique indexes for the block and create them again at its end.

    SQLite only (elsewhere this does nothing). Unique indexes stay, so every constraint is
    still checked as rows arrive; the indexes come back even if the block fails. Queries run
    inside the block do not have the dropped indexes, so it suits a load and nothing else.
    """
    if connection.vendor != "sqlite":
        yield
        return
    tables = [model._meta.db_table for model in models_]
    marks = ", ".join(["%s"] * len(tables))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({marks})",  # noqa: S608
            tables,
        )
        dropped = [(name, sql) for name, sql in cursor.fetchall() if not sql.upper().startswith("CREATE UNIQUE")]
        for name, _sql in dropped:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for _name, sql in dropped:
                cursor.execute(sql)
