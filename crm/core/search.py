# ruff: noqa: S608  (table names come from model metadata, never from input; values are parameters)
"""Substring search over a maintained `search_text` column, one function for every list.

SQLite answers from an FTS5 trigram index kept in step by triggers; PostgreSQL from a
pg_trgm GIN index. Queries shorter than three characters cannot use a trigram index and
fall back to a plain LIKE, which the keyset page limit keeps bounded.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection, models
from django.db.migrations.operations.base import Operation

from crm.core.phone import national_digits
from crm.core.pinyin import pinyin_forms

_SPACES = re.compile(r"\s+")


def build_search_text(*, names: Iterable[str], phones: Iterable[str] = (), others: Iterable[str] = ()) -> str:
    """Everything a user may type to find a record, lower case, space separated."""
    parts: list[str] = []
    for name in names:
        if not name:
            continue
        parts.append(name.lower())
        full, initials = pinyin_forms(name)
        if full:
            parts.extend([full, initials])
    for phone in phones:
        if phone:
            parts.extend([phone.lstrip("+"), national_digits(phone)])
    parts.extend(other.lower() for other in others if other)
    return _SPACES.sub(" ", " ".join(parts)).strip()


def normalize_query(query: str) -> str:
    return _SPACES.sub(" ", query.strip().lower())


def fts_table(model: type[models.Model]) -> str:
    return f"{model._meta.db_table}_fts"


def search_filter(queryset: models.QuerySet[Any], query: str) -> models.QuerySet[Any]:
    """Rows whose search text contains `query` (case-insensitive substring)."""
    needle = normalize_query(query)
    if not needle:
        return queryset
    if connection.vendor == "sqlite" and len(needle) >= 3:
        table = fts_table(queryset.model)
        quoted = '"' + needle.replace('"', '""') + '"'
        return queryset.extra(  # noqa: S610  (the needle is passed as a parameter)
            where=[f"{queryset.model._meta.db_table}.id IN (SELECT rowid FROM {table} WHERE {table} MATCH %s)"],
            params=[quoted],
        )
    return queryset.filter(search_text__contains=needle)


def _insert_trigger_sql(table: str) -> str:
    fts = f"{table}_fts"
    return (
        f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {fts}(rowid, search_text) VALUES (new.id, new.search_text); END"
    )


@contextmanager
def search_index_deferred(*models_: type[models.Model], new_rows_only: bool = False) -> Iterator[None]:
    """Bulk loads only: index rows inserted inside the block once, at its end, not row by row.

    On SQLite the insert trigger is dropped for the block and the FTS index rebuilt from the
    table afterwards (even if the block fails), which is much faster for millions of rows.
    With `new_rows_only`, for a block that only adds rows inside a transaction (an import into
    a table that may already hold millions), just the rows added are indexed: those with an id
    above the largest before the block, since SQLite never reuses or lowers an AUTOINCREMENT id.
    Rows the block changes or deletes keep their triggers either way. PostgreSQL maintains its
    GIN index itself, so there this does nothing.
    """
    if connection.vendor != "sqlite":
        yield
        return
    tables = [model._meta.db_table for model in models_]
    last_ids: dict[str, int] = {}
    with connection.cursor() as cursor:
        for table in tables:
            if new_rows_only:
                cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
                last_ids[table] = int(cursor.fetchone()[0])
            cursor.execute(f"DROP TRIGGER IF EXISTS {table}_fts_ai")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(_insert_trigger_sql(table))
                if table in last_ids:
                    added = f"SELECT id, search_text FROM {table} WHERE id > %s"
                    cursor.execute(f"INSERT INTO {table}_fts(rowid, search_text) {added}", [last_ids[table]])
                else:
                    cursor.execute(f"INSERT INTO {table}_fts({table}_fts) VALUES ('rebuild')")


class CreateSearchIndex(Operation):
    """Create the vendor's substring index on `<table>.search_text` (reversible)."""

    reduces_to_sql = True
    reversible = True

    def __init__(self, table: str) -> None:
        self.table = table

    def state_forwards(self, app_label: str, state: Any) -> None:
        return None

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        for statement in self._forward_sql(schema_editor.connection.vendor):
            schema_editor.execute(statement)

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        for statement in self._backward_sql(schema_editor.connection.vendor):
            schema_editor.execute(statement)

    def describe(self) -> str:
        return f"Create the search index on {self.table}.search_text"

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (self.__class__.__qualname__, [], {"table": self.table})

    def _forward_sql(self, vendor: str) -> list[str]:
        t = self.table
        if vendor == "sqlite":
            fts = f"{t}_fts"
            return [
                f"CREATE VIRTUAL TABLE {fts} USING fts5(search_text, content='{t}', "
                f"content_rowid='id', tokenize='trigram')",
                _insert_trigger_sql(t),
                f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {t} BEGIN "
                f"INSERT INTO {fts}({fts}, rowid, search_text) VALUES ('delete', old.id, old.search_text); END",
                f"CREATE TRIGGER {fts}_au AFTER UPDATE OF search_text ON {t} BEGIN "
                f"INSERT INTO {fts}({fts}, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
                f"INSERT INTO {fts}(rowid, search_text) VALUES (new.id, new.search_text); END",
                f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
            ]
        if vendor == "postgresql":
            return [
                "CREATE EXTENSION IF NOT EXISTS pg_trgm",
                f"CREATE INDEX IF NOT EXISTS {t}_search_trgm ON {t} USING gin (search_text gin_trgm_ops)",
            ]
        return []

    def _backward_sql(self, vendor: str) -> list[str]:
        t = self.table
        if vendor == "sqlite":
            fts = f"{t}_fts"
            return [
                f"DROP TRIGGER IF EXISTS {fts}_ai",
                f"DROP TRIGGER IF EXISTS {fts}_ad",
                f"DROP TRIGGER IF EXISTS {fts}_au",
                f"DROP TABLE IF EXISTS {fts}",
            ]
        if vendor == "postgresql":
            return [f"DROP INDEX IF EXISTS {t}_search_trgm"]
        return []


class DropSearchIndex(CreateSearchIndex):
    """Set SQLite's search index aside before an operation that rebuilds the table.

    SQLite adds most columns by copying the table into a new one, which drops the table's
    triggers and so silently stops the index from following changes; put this before such an
    operation and a CreateSearchIndex after it. PostgreSQL keeps its index through
    ALTER TABLE, so there this does nothing.
    """

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        if schema_editor.connection.vendor == "sqlite":
            for statement in self._backward_sql("sqlite"):
                schema_editor.execute(statement)

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        if schema_editor.connection.vendor == "sqlite":
            for statement in self._forward_sql("sqlite"):
                schema_editor.execute(statement)

    def describe(self) -> str:
        return f"Set aside the search index on {self.table}.search_text"


class RestoreSearchIndex(DropSearchIndex):
    """The closing half of a DropSearchIndex: SQLite's index comes back after the table rebuild.

    PostgreSQL never set its index aside, so this does nothing there either way; a plain
    CreateSearchIndex would drop PostgreSQL's index when the migration is reversed.
    """

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        super().database_backwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        super().database_forwards(app_label, schema_editor, from_state, to_state)

    def describe(self) -> str:
        return f"Restore the search index on {self.table}.search_text after a table rebuild"


class OnlyWhenReversed(Operation):
    """Runs `operation` backwards only.

    SQLite adds a nullable column in place, keeping the search triggers, but removes a foreign key
    column by rebuilding the table, which drops them: wrap a DropSearchIndex/RestoreSearchIndex pair
    around such an AddField in this, and the index is set aside and rebuilt around the removal only.
    """

    reversible = True

    def __init__(self, operation: Operation) -> None:
        self.operation = operation

    def state_forwards(self, app_label: str, state: Any) -> None:
        return None

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        return None

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        self.operation.database_backwards(app_label, schema_editor, from_state, to_state)

    def describe(self) -> str:
        return f"When reversed: {self.operation.describe()}"
