"""Conditions that look records up by a match key through the keys' partial indexes.

A blank column is no key, and most records leave some keys blank (no e-mail, no landline), so
the key indexes leave blank rows out (`condition=~Q(column="")` in the models). That keeps them
small and, more importantly, keeps SQLite's statistics honest: an index holding every blank row
tells the planner that each value matches most of the table, and it then scans the table in id
order instead. SQLite uses a partial index only when the query repeats the index's condition
term for term, so every key lookup adds it, although a non-blank value already implies it.
"""

from __future__ import annotations

from collections.abc import Collection

from django.db.models import Q


def key_equals(column: str, value: str) -> Q:
    return Q(**{column: value}) & ~Q(**{column: ""})


def key_in(column: str, values: Collection[str]) -> Q:
    return Q(**{f"{column}__in": values}) & ~Q(**{column: ""})
