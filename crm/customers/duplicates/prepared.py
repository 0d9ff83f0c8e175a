"""One record's key lookups in one statement per source, compiled once per shape.

The live check runs on every pause in typing, and its half-dozen indexed lookups take well under a
millisecond in the database; building and compiling the same querysets again for each keystroke cost
several times that. A lookup's SQL depends only on the source and the kinds of keys the record has
(a phone and a name, say), so it is compiled once per shape with marker values and kept; each check
then puts its own values where the markers were. Each key keeps its own limit of newest rows inside
the statement (`… UNION ALL …` of one subquery per key), so a common company name never crowds out
a phone match.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.db import connection
from django.db.models import Q
from django.db.models.expressions import Expression

from crm.customers.duplicates.keys import key_equals
from crm.customers.duplicates.sources import Key, Source, source_of

# Marker values that compile into the statement where a key's value or the excluded id goes; no real
# key or id looks like them (key values are normalised text, ids are positive).
_KEY_MARKER = "\x00duplicate-key-{}\x00"
_EXCLUDED_MARKER = -7_364_019_285


@dataclass(frozen=True)
class _Statement:
    sql: str
    params: tuple[Any, ...]
    names: tuple[str, ...]
    fields: tuple[Expression, ...]
    query: Any  # the first subquery's Query: it gives each call a compiler for the value converters


def key_rows(
    source: Source, keys: list[Key], columns: tuple[str, ...], *, limit: int, exclude_id: int | None
) -> dict[int, dict[str, Any]]:
    """The newest `limit` live rows of `source` per key, as dicts of `columns`, by id."""
    if not keys:
        return {}
    statement = _statement(connection.vendor, source.object_type, tuple(kind for kind, _value in keys), columns, limit)
    values = {_KEY_MARKER.format(index): value for index, (_kind, value) in enumerate(keys)}
    params = [
        (exclude_id or 0)
        if param == _EXCLUDED_MARKER
        else values.get(param, param)
        if isinstance(param, str)
        else param
        for param in statement.params
    ]
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, params)
        fetched = cursor.fetchall()
    compiler = statement.query.get_compiler(connection=connection)
    converters = compiler.get_converters(statement.fields)
    rows = compiler.apply_converters(fetched, converters) if converters else fetched
    found: dict[int, dict[str, Any]] = {}
    for row in rows:
        record = dict(zip(statement.names, row, strict=True))
        found[record["id"]] = record
    return found


@lru_cache(maxsize=512)
def _statement(
    vendor: str, object_type: str, kinds: tuple[str, ...], columns: tuple[str, ...], limit: int
) -> _Statement:
    """The lookup statement of one shape: `vendor` is part of the key, as the SQL differs by database."""
    source = source_of(object_type)
    parts: list[str] = []
    params: list[Any] = []
    first: Any = None
    for index, kind in enumerate(kinds):
        condition = Q()
        for column in source.columns_of(kind):
            condition |= key_equals(column, _KEY_MARKER.format(index))
        queryset = (
            source.model._default_manager.filter(condition)
            .exclude(pk=_EXCLUDED_MARKER)
            .order_by("-id")
            .values(*columns)[:limit]
        )
        compiler = queryset.query.get_compiler(connection=connection)
        sql, part_params = compiler.as_sql()
        # The SQL is Django's own compilation of the queryset; only its values are parameters.
        parts.append(f"SELECT * FROM ({sql}) AS {connection.ops.quote_name(f'key{index}')}")  # noqa: S608
        params += part_params
        if first is None:
            first = (queryset.query, tuple(select[0] for select in compiler.select[: compiler.col_count]))
    query, fields = first
    return _Statement(sql=" UNION ALL ".join(parts), params=tuple(params), names=columns, fields=fields, query=query)
