"""Keyset pagination: pages are addressed by the last row's (sort key, id), never by offset.

An offset page costs as much as every page before it; a keyset page costs one index range
scan however deep the user scrolls. Cursors are opaque, URL-safe strings.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connections, models
from django.db.models import Q

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 25


class InvalidCursor(ValueError):
    pass


@dataclass(frozen=True)
class SortKey:
    """One orderable column: `field` ascending or descending, ties broken by id the same way."""

    field: str
    descending: bool


@dataclass
class Page[T: models.Model]:
    items: list[T]
    next_cursor: str | None
    has_more: bool


def _encode_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, dt.date):
        return {"d": value.isoformat()}
    if isinstance(value, Decimal):
        return {"dec": str(value)}
    return value


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict):
        if "dt" in value:
            return dt.datetime.fromisoformat(value["dt"])
        if "d" in value:
            return dt.date.fromisoformat(value["d"])
        if "dec" in value:
            return Decimal(value["dec"])
    return value


def encode_cursor(value: Any, pk: int) -> str:
    raw = json.dumps([_encode_value(value), pk], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[Any, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value, pk = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, TypeError) as exc:
        raise InvalidCursor(cursor) from exc
    if not isinstance(pk, int):
        raise InvalidCursor(cursor)
    try:
        return _decode_value(value), pk
    except (ValueError, TypeError) as exc:
        raise InvalidCursor(cursor) from exc


def _after(queryset: models.QuerySet[Any], sort: SortKey, value: Any, pk: int) -> Q:
    """The rows after (value, pk) in the page order, NULLs of a nullable sort column included.

    The default NULL order is kept so the column's plain index serves the order: PostgreSQL puts NULLs
    last ascending and first descending, SQLite the other way round.
    """
    beyond = "lt" if sort.descending else "gt"
    nulls_largest = connections[queryset.db].features.nulls_order_largest
    nulls_come_last = nulls_largest != sort.descending
    same_value_beyond = Q(**{f"{sort.field}__isnull": True, f"id__{beyond}": pk})
    if value is None:
        return same_value_beyond if nulls_come_last else same_value_beyond | Q(**{f"{sort.field}__isnull": False})
    after = Q(**{f"{sort.field}__{beyond}": value}) | Q(**{sort.field: value, f"id__{beyond}": pk})
    if nulls_come_last and queryset.model._meta.get_field(sort.field).null:
        after |= Q(**{f"{sort.field}__isnull": True})
    return after


def paginate[T: models.Model](
    queryset: models.QuerySet[T],
    *,
    sort: SortKey,
    cursor: str | None = None,
    size: int = DEFAULT_PAGE_SIZE,
) -> Page[T]:
    """One page of `queryset` ordered by `sort` then id, starting after `cursor`."""
    size = max(1, min(size, MAX_PAGE_SIZE))
    prefix = "-" if sort.descending else ""
    queryset = queryset.order_by(f"{prefix}{sort.field}", f"{prefix}id")
    if cursor:
        value, pk = decode_cursor(cursor)
        try:
            queryset = queryset.filter(_after(queryset, sort, value, pk))
        except (ValidationError, ValueError, TypeError) as exc:
            # A well-formed cursor whose value does not fit the sort column was not made here.
            raise InvalidCursor(cursor) from exc
    rows = list(queryset[: size + 1])
    has_more = len(rows) > size
    rows = rows[:size]
    next_cursor = None
    if has_more and rows:
        last = rows[-1]
        next_cursor = encode_cursor(getattr(last, sort.field), last.pk)
    return Page(items=rows, next_cursor=next_cursor, has_more=has_more)
