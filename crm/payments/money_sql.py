"""Exact money sums in SQL on both databases.

SQLite keeps a DECIMAL column as a binary float and sums floats; summing whole cents as integers
instead makes the total exact (up to 90 trillion) and the same as PostgreSQL's `numeric` sum.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Aggregate, BigIntegerField, Expression

CENT = Decimal("0.01")


class CentsSum(Aggregate):
    """SUM of an amount expression in whole cents; read the result with `from_cents`.

    SQLite rounds each amount to whole cents before adding; PostgreSQL's numeric sum is exact as it is,
    so there the sum is turned into cents once, not every row (a third of a 200,000-row grouping's time).
    """

    function = "SUM"
    name = "CentsSum"
    output_field = BigIntegerField()

    def as_sql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:  # type: ignore[override]
        # The plain SUM (with its FILTER clause, if any), then times 100.
        sql, params = super().as_sql(compiler, connection, **extra_context)
        return f"({sql} * 100)", params

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return super().as_sql(
            compiler, connection, template="SUM(CAST(ROUND((%(expressions)s) * 100) AS INTEGER))", **extra_context
        )

    def __init__(self, expression: Expression | str, **extra: Any) -> None:
        super().__init__(expression, **extra)


def from_cents(value: Any) -> Decimal:
    """An aggregated cents value (int, Decimal or None) as an amount with two decimals."""
    if value is None:
        return Decimal("0.00")
    return (Decimal(value) / 100).quantize(CENT)
