"""Inserting many new rows at once, without building an INSERT statement per row.

Django's `bulk_create` compiles every value of every row into SQL; at a hundred thousand rows
that costs more than the database's own work. Here rows are tuples of database values: SQLite
takes them through one prepared INSERT (`executemany`), PostgreSQL through COPY, which has no
per-statement round trips at all. Imports, bulk audit entries and demo seeding all go this way.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import IntegrityError, connection, models

# Rows per `executemany` call on SQLite: large enough to amortise the call, small enough to keep
# the parameter list of one call in a few megabytes.
EXECUTEMANY_ROWS = 2000
_PASS_THROUGH_TYPES = frozenset(
    {"CharField", "TextField", "BigIntegerField", "IntegerField", "PositiveIntegerField", "BooleanField"}
    | {"BigAutoField"}
)
_JSON_CONTAINERS = frozenset({dict, list})


def columns_of(model: type[models.Model], fields: Sequence[str]) -> list[str]:
    """The quoted column names of `model`'s fields (by name or attname), in order."""
    by_name = {name: field for field in model._meta.concrete_fields for name in (field.name, field.attname)}
    return [connection.ops.quote_name(str(by_name[name].column)) for name in fields]


def write_rows(table: str, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> None:
    """Insert `rows` (tuples of database values, one per quoted column) into the quoted `table`."""
    column_list = ", ".join(columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({column_list}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {table} ({column_list}) VALUES ({marks})"  # noqa: S608
        batch: list[tuple[Any, ...]] = []
        for row in rows:
            batch.append(row)
            if len(batch) == EXECUTEMANY_ROWS:
                cursor.executemany(sql, batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)


def db_value(field: models.Field[Any, Any]) -> Callable[[Any], Any]:
    """The field's conversion to a database value: text and integers pass as they are, the rest
    through the field, memoised for hashable values (statuses, dates and the like repeat)."""
    if field.get_internal_type() in _PASS_THROUGH_TYPES:
        return lambda value: value
    if isinstance(field, models.JSONField) and connection.vendor == "sqlite":
        return _json_value(field)
    cache: dict[Any, Any] = {}

    def convert(value: Any) -> Any:
        try:
            return cache[value]
        except KeyError:
            cache[value] = converted = field.get_db_prep_save(value, connection)
            return converted
        except TypeError:  # unhashable: convert every time
            return field.get_db_prep_save(value, connection)

    return convert


def _json_value(field: models.JSONField[Any, Any]) -> Callable[[Any], Any]:
    """SQLite stores JSON as the text `json.dumps` makes of it (what the field itself would do).

    Imported rows each carry their own dictionaries, so the memoising route, tried and failed
    on an unhashable value first, is skipped for them.
    """
    encoder = field.encoder

    def convert(value: Any) -> Any:
        if type(value) in _JSON_CONTAINERS:
            return json.dumps(value, cls=encoder)
        return field.get_db_prep_save(value, connection)

    return convert


def insert_many[M: models.Model](model: type[M], records: Sequence[M]) -> None:
    """`bulk_create` of new, unsaved records, setting their ids, without its per-value SQL compilation.

    On SQLite the ids are read back from the (strictly increasing) rowids, which no other writer
    can interleave while this transaction holds SQLite's write lock. On PostgreSQL the ids are
    drawn from the table's sequence first and the rows go in with one COPY. Other databases use
    `bulk_create` itself. Call inside a transaction.
    """
    if not records:
        return
    meta = model._meta
    if connection.vendor not in ("sqlite", "postgresql"):
        model._default_manager.bulk_create(records, batch_size=EXECUTEMANY_ROWS)
        return
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    converters = [(field.attname, db_value(field)) for field in fields]
    table = connection.ops.quote_name(meta.db_table)
    columns = columns_of(model, [field.attname for field in fields])

    def values(record: M) -> tuple[Any, ...]:
        return tuple(convert(getattr(record, name)) for name, convert in converters)

    if connection.vendor == "postgresql":
        pk = meta.pk
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, pk.column, len(records)],
            )
            ids = [int(row[0]) for row in cursor.fetchall()]
        pk_column = connection.ops.quote_name(str(pk.column))
        write_rows(table, [pk_column, *columns], ((i, *values(r)) for i, r in zip(ids, records, strict=True)))
        _set_ids(records, ids)
        return
    write_rows(table, columns, (values(record) for record in records))
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_insert_rowid()")
        last = int(cursor.fetchone()[0])
        first = last - len(records) + 1
        cursor.execute(f"SELECT COUNT(*) FROM {table} WHERE id >= %s", [first])  # noqa: S608
        if cursor.fetchone()[0] != len(records):
            raise IntegrityError("bulk insert ids are not contiguous")
    _set_ids(records, range(first, last + 1))


def _set_ids[M: models.Model](records: Sequence[M], ids: Iterable[int]) -> None:
    for record, record_id in zip(records, ids, strict=True):
        record.pk = record_id
        record._state.adding = False
        record._state.db = connection.alias
