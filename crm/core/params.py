"""Lenient parsing of query-string filters: a malformed value means "no filter", never an error page."""

from __future__ import annotations

import datetime as dt


def int_param(raw: str | None) -> int | None:
    try:
        return int(raw) if raw else None
    except ValueError:
        return None


def datetime_param(raw: str | None) -> dt.datetime | None:
    """An ISO 8601 moment with its offset (as pages write them into "show older" links)."""
    try:
        value = dt.datetime.fromisoformat(raw) if raw else None
    except ValueError:
        return None
    return value if value is not None and value.tzinfo is not None else None


def date_param(raw: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw) if raw else None
    except ValueError:
        return None
