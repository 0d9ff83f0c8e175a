"""Nudges for SQLite's query planner, which plans from its indexes' shapes more than from row counts.

PostgreSQL plans from statistics and gets the plain column; SQLite gets `+column`, the same value but
no longer a column an index can be chosen for, so it walks the index that serves the list's sort and
checks the condition on each row instead. That pays only when many rows match: `more_than` counts
(no further than needed) so a caller can choose between the walk and gathering the few matching rows.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Func, QuerySet

# Above this many matching rows, walking a list's sort index finds a page sooner than gathering and
# sorting every match; below it, the walk may read most of the index to find them.
MANY_ROWS = 5_000


class UnaryPlus(Func):
    """`+column` on SQLite (its planner's hint not to use an index for it); the column elsewhere.

    PostgreSQL has no unary plus for text, and needs no hint."""

    template = "(%(expressions)s)"

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return self.as_sql(compiler, connection, template="(+%(expressions)s)", **extra_context)


def more_than(rows: QuerySet[Any], limit: int | None = None) -> bool:
    """Whether `rows` holds more than `limit` (MANY_ROWS) rows, counted no further than that."""
    limit = MANY_ROWS if limit is None else limit
    # Unordered: a model's default ordering would sort the rows (and join for it) before counting them.
    return rows.order_by().values("pk")[: limit + 1].count() > limit
