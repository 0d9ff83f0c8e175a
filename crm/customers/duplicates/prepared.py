"""Key lookups as statements of one limited subquery per key, compiled once per shape.

The live check runs on every pause in typing, and its half-dozen indexed lookups take well under a
millisecond in the database; building and compiling the same querysets again for each keystroke cost
several times that. A lookup's SQL depends only on the source and the kinds of keys looked up (a
phone and a name, say), so it is compiled once per shape with marker values and kept; each call then
puts its own values where the markers were. Each key keeps its own limit of newest rows inside the
statement (`… UNION ALL …` of one subquery per key), so a common company name never crowds out a
phone match, and the database reads no more than that limit of rows for any key: an import's name
keys go in the same way, a few hundred per statement, where numbering every row of each key in SQL had
read all the thousands of rows a common name has at a million records. An import's phones, e-mails and
credit codes, which few rows share, are the opposite case: they go as one list per column (`_rows_in`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.db import connection
from django.db.models import F, Q, Window
from django.db.models.expressions import Expression
from django.db.models.functions import RowNumber

from crm.customers.duplicates.keys import key_equals, key_in
from crm.customers.duplicates.sources import Key, Source, source_of

# Keys per statement when many are looked up at once (SQLite allows 500 parts in a compound SELECT).
KEYS_PER_STATEMENT = 256
# Values per statement for the kinds few rows share, looked up as one list per column.
VALUES_PER_STATEMENT = 2000
# Marker values that compile into the statement where a key's value or the excluded id goes; no real
# key or id looks like them (key values are normalised text, ids are positive).
_KEY_MARKER = "\x00duplicate-key-{}\x00"
_EXCLUDED_MARKER = -7_364_019_285
# Key kinds that hundreds of rows share (a common company or person name): looked up one limited
# subquery per key, so that the database reads no more than the limit of rows for any of them.
SHARED_KINDS = frozenset({"name"})


@dataclass(frozen=True)
class _Statement:
    sql: str
    params: tuple[Any, ...]
    fields: tuple[Expression, ...]
    query: Any  # the first subquery's Query: it gives each call a compiler for the value converters


def key_rows(
    source: Source, keys: Sequence[Key], columns: tuple[str, ...], *, limit: int, exclude_id: int | None
) -> dict[int, dict[str, Any]]:
    """The newest `limit` live rows of `source` per key, as dicts of `columns`, by id."""
    return {row["id"]: row for rows in _rows_per_key(source, keys, columns, limit, exclude_id) for row in rows}


def rows_per_key(
    source: Source, keys: Sequence[Key], columns: tuple[str, ...], *, limit: int
) -> list[list[dict[str, Any]]]:
    """For each of many keys, in order, the newest `limit` live rows of `source` as dicts of `columns`.

    Name keys go together, up to KEYS_PER_STATEMENT a statement of one limited subquery each; a
    shorter last group is padded with its own last key to a power of two, so a handful of shapes serves
    any number of keys. The other kinds (phone, e-mail, credit code) go in as one list per column.
    """
    found: list[list[dict[str, Any]]] = [[] for _key in keys]
    positions_by_kind: dict[str, list[int]] = defaultdict(list)
    for position, (kind, _value) in enumerate(keys):
        positions_by_kind[kind].append(position)
    for kind, positions in positions_by_kind.items():
        if kind not in SHARED_KINDS:
            for start in range(0, len(positions), VALUES_PER_STATEMENT):
                chunk = positions[start : start + VALUES_PER_STATEMENT]
                by_value = _rows_in(source, kind, [keys[position][1] for position in chunk], columns, limit)
                for position in chunk:
                    found[position] = by_value.get(keys[position][1], [])
            continue
        for start in range(0, len(positions), KEYS_PER_STATEMENT):
            chunk = positions[start : start + KEYS_PER_STATEMENT]
            padded = chunk + [chunk[-1]] * (_shape_size(len(chunk)) - len(chunk))
            rows = _rows_per_key(source, [keys[position] for position in padded], columns, limit, None)
            for position, matched in zip(chunk, rows, strict=False):  # the padding's repeats are dropped
                found[position] = matched
    return found


def _rows_in(
    source: Source, kind: str, values: list[str], columns: tuple[str, ...], limit: int
) -> dict[str, list[dict[str, Any]]]:
    """The newest `limit` live rows per value of a key kind that few rows share, by value.

    One statement per column, the values as one list: a subquery per value (as for names) costs a
    sort each, and here almost every value finds nothing. The limit still holds per value and
    column (a placeholder phone can be on thousands of rows), and the newest of both columns are kept.
    """
    found: dict[str, dict[int, dict[str, Any]]] = defaultdict(dict)
    for column in source.columns_of(kind):
        # The key's column is one of the compared columns; selected twice it would confuse the window query.
        selected = columns if column in columns else (*columns, column)
        rows = (
            source.model._default_manager.filter(key_in(column, values))
            .annotate(key_rank=Window(RowNumber(), partition_by=F(column), order_by=F("id").desc()))
            .filter(key_rank__lte=limit)
            .order_by()
            .values(*selected)
        )
        for row in rows:
            matched = row[column] if column in columns else row.pop(column)
            found[matched][row["id"]] = row
    return {value: sorted(by_id.values(), key=lambda row: -row["id"])[:limit] for value, by_id in found.items()}


def _shape_size(count: int) -> int:
    return min(KEYS_PER_STATEMENT, 1 << (count - 1).bit_length())


def _rows_per_key(
    source: Source, keys: Sequence[Key], columns: tuple[str, ...], limit: int, exclude_id: int | None
) -> list[list[dict[str, Any]]]:
    if not keys:
        return []
    kinds = tuple(kind for kind, _value in keys)
    statement = _statement(connection.vendor, source.object_type, kinds, columns, limit)
    values = {_KEY_MARKER.format(index): value for index, (_kind, value) in enumerate(keys)}
    params = [_filled(param, values, exclude_id) for param in statement.params]
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, params)
        fetched = cursor.fetchall()
    compiler = statement.query.get_compiler(connection=connection)
    converters = compiler.get_converters(statement.fields)
    # The first column says which key a row was found by; the converters apply to the rest.
    rows = [row[1:] for row in fetched]
    if converters:
        rows = list(compiler.apply_converters(rows, converters))
    found: list[list[dict[str, Any]]] = [[] for _key in keys]
    for (index, *_rest), row in zip(fetched, rows, strict=True):
        found[index].append(dict(zip(columns, row, strict=True)))
    return found


def _filled(param: Any, values: dict[str, str], exclude_id: int | None) -> Any:
    if isinstance(param, str):
        return values.get(param, param)
    return (exclude_id or 0) if param == _EXCLUDED_MARKER else param


@lru_cache(maxsize=512)
def _statement(
    vendor: str, object_type: str, kinds: tuple[str, ...], columns: tuple[str, ...], limit: int
) -> _Statement:
    """The lookup statement of one shape: `vendor` is part of the key, as the SQL differs by database."""
    quote = connection.ops.quote_name
    parts: list[str] = []
    params: list[Any] = []
    for index, kind in enumerate(kinds):
        part = _part(vendor, object_type, kind, columns, limit)
        alias = quote(f"key{index}")
        # The SQL is Django's own compilation of the queryset; only its values are parameters.
        parts.append(f"SELECT {index} AS {quote('key_index')}, {alias}.* FROM ({part.sql}) AS {alias}")  # noqa: S608
        marker = _KEY_MARKER.format(index)
        params += [marker if param == _PART_MARKER else param for param in part.params]
    first = _part(vendor, object_type, kinds[0], columns, limit)
    return _Statement(sql=" UNION ALL ".join(parts), params=tuple(params), fields=first.fields, query=first.query)


_PART_MARKER = _KEY_MARKER.format("")


@lru_cache(maxsize=64)
def _part(vendor: str, object_type: str, kind: str, columns: tuple[str, ...], limit: int) -> _Statement:
    """One key's limited subquery, compiled once per kind: a statement repeats it for each of its keys."""
    source = source_of(object_type)
    condition = Q()
    for column in source.columns_of(kind):
        condition |= key_equals(column, _PART_MARKER)
    queryset = (
        source.model._default_manager.filter(condition)
        .exclude(pk=_EXCLUDED_MARKER)
        .order_by("-id")
        .values(*columns)[:limit]
    )
    compiler = queryset.query.get_compiler(connection=connection)
    sql, params = compiler.as_sql()
    fields = tuple(select[0] for select in compiler.select[: compiler.col_count])
    return _Statement(sql=sql, params=tuple(params), fields=fields, query=queryset.query)
