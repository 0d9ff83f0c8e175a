"""Plain bulk INSERTs of tuples of database values, for loading millions of demo rows.

bulk_create builds and inspects a model instance per row, which costs more than the database's
own work at a million rows; here each row is a tuple already in the form the database stores.
SQLite takes them through one prepared INSERT (`executemany`); PostgreSQL through COPY, which
skips the per-statement round trips altogether.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from django.db import connection
from django.db.models import Field, Model

BATCH = 5000


def batches(total: int, size: int = BATCH) -> Iterator[range]:
    for start in range(0, total, size):
        yield range(start, min(start + size, total))


class Inserter:
    """Inserts rows of some columns of `model`; every other column gets its field default."""

    def __init__(self, model: type[Model], fields: Sequence[str]) -> None:
        meta = model._meta
        by_name = {name: field for field in meta.concrete_fields for name in (field.name, field.attname)}
        given = [by_name[name] for name in fields]
        rest = [field for field in meta.concrete_fields if not field.primary_key and field not in given]
        self.tail = tuple(field.get_db_prep_save(field.get_default(), connection) for field in rest)
        quote = connection.ops.quote_name
        self.table = quote(meta.db_table)
        columns = ", ".join(quote(str(field.column)) for field in [*given, *rest])
        marks = ", ".join(["%s"] * (len(given) + len(rest)))
        self.sql = f"INSERT INTO {self.table} ({columns}) VALUES ({marks})"  # noqa: S608
        self.copy_sql = f"COPY {self.table} ({columns}) FROM STDIN"
        self.count = 0

    def insert(self, rows: Sequence[tuple[Any, ...]]) -> None:
        tail = self.tail
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(self.copy_sql) as copy:
                    for row in rows:
                        copy.write_row(row + tail)
            else:
                cursor.executemany(self.sql, [row + tail for row in rows])
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
    cache: dict[Any, Any] = {}

    def convert(value: Any) -> Any:
        try:
            return cache[value]
        except KeyError:
            cache[value] = converted = field.get_db_prep_save(value, connection)
            return converted

    return convert


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
