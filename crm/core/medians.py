"""The median as an aggregate on both databases.

PostgreSQL has one built in (the ordered-set `percentile_cont(0.5)`). SQLite has none, so every SQLite
connection gets `crm_median`, an aggregate whose values are collected and sorted in Python: one pass over
the rows, where numbering them with window functions to find the middle took two sorts and three passes.
Both give the mean of the two middle values when the count is even, and skip NULLs.
"""

from __future__ import annotations

import statistics
from typing import Any

from django.db.models import Aggregate, FloatField

SQLITE_MEDIAN = "crm_median"


class Median(Aggregate):
    """The median of a numeric expression over each group (NULL for a group with no values)."""

    name = "Median"
    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return self.as_sql(
            compiler, connection, function=SQLITE_MEDIAN, template="%(function)s(%(expressions)s)", **extra_context
        )


class _Values:
    """SQLite's side of `crm_median`: gathers a group's values, then takes their median."""

    def __init__(self) -> None:
        self.values: list[float] = []

    def step(self, value: float | None) -> None:
        if value is not None:
            self.values.append(value)

    def finalize(self) -> float | None:
        return statistics.median(self.values) if self.values else None


def register_sqlite_median(sender: Any, connection: Any, **kwargs: Any) -> None:
    """`connection_created` receiver: teach each new SQLite connection `crm_median`."""
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate(SQLITE_MEDIAN, 1, _Values)
