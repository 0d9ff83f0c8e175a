"""Plain bulk INSERTs of tuples of database values, for loading millions of demo rows.

bulk_create builds and inspects a model instance per row, which costs more than the database's
own work at a million rows; here each row is a tuple already in the form the database stores,
written by crm.core.bulk_insert (`executemany` on SQLite, COPY on PostgreSQL).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from django.db import connection
from django.db.models import Field, Model

from crm.core.bulk_insert import columns_of, write_rows
from crm.core.bulk_insert import db_value as field_db_value

BATCH = 5000


def batches(total: int, size: int = BATCH) -> Iterator[range]:
    for start in range(0, total, size):
        yield range(start, min(start + size, total))


class Inserter:
    """Inserts rows of some columns of `model`; every other column gets its field default."""

    def __init__(self, model: type[Model], fields: Sequence[str]) -> None:
        meta = model._meta
        given = set(columns_of(model, fields))
        rest = [
            field
            for field in meta.concrete_fields
            if not field.primary_key and connection.ops.quote_name(str(field.column)) not in given
        ]
        self.tail = tuple(field.get_db_prep_save(field.get_default(), connection) for field in rest)
        self.table = connection.ops.quote_name(meta.db_table)
        self.columns = [*columns_of(model, fields), *columns_of(model, [field.attname for field in rest])]
        self.count = 0

    def insert(self, rows: Sequence[tuple[Any, ...]]) -> None:
        tail = self.tail
        write_rows(self.table, self.columns, (row + tail for row in rows))
        self.count += len(rows)

    def insert_returning_ids(self, rows: Sequence[tuple[Any, ...]]) -> list[int]:
        """Insert and return the new rows' ids in insertion order (call inside a transaction).

        Nobody else writes to the table during a demo load, so the highest ids are these rows'.
        """
        self.insert(rows)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id FROM {self.table} ORDER BY id DESC LIMIT %s", [len(rows)])  # noqa: S608
            return [row_id for (row_id,) in reversed(cursor.fetchall())]


def db_value(model: type[Model], field_name: str) -> Callable[[Any], Any]:
    """The field's own conversion to a database value, memoised (for columns with few distinct values)."""
    field = model._meta.get_field(field_name)
    if not isinstance(field, Field):
        raise TypeError(f"{model.__name__}.{field_name} is not a column")
    return field_db_value(field)


def money_value() -> Callable[[int], Any]:
    """Cents to the value a DecimalField(decimal_places=2) stores: SQLite keeps a decimal string."""
    if connection.vendor == "sqlite":
        return lambda cents: f"{cents // 100}.{cents % 100:02d}"
    from decimal import Decimal

    return lambda cents: Decimal(cents).scaleb(-2)


def utc_datetime_value() -> Callable[[dt.datetime], Any]:
    """A naive-UTC datetime to the value Django would store for the aware one.

    SQLite stores the text of the naive UTC time, which is all Django's adapter does for an
    aware value in a UTC connection; other databases take the aware value.
    """
    if connection.vendor == "sqlite":
        return str
    return lambda value: value.replace(tzinfo=dt.UTC)


def duration_value() -> Callable[[dt.timedelta], Any]:
    """A timedelta as a DurationField stores it: microseconds where the database has no interval type."""
    if connection.features.has_native_duration_field:
        return lambda value: value
    return lambda value: (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds
