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
    """SUM of an amount expression in whole cents; read the result with `from_cents`."""

    function = "SUM"
    name = "CentsSum"
    template = "%(function)s((%(expressions)s) * 100)"
    output_field = BigIntegerField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return self.as_sql(
            compiler, connection, template="SUM(CAST(ROUND((%(expressions)s) * 100) AS INTEGER))", **extra_context
        )

    def __init__(self, expression: Expression | str, **extra: Any) -> None:
        super().__init__(expression, **extra)


def from_cents(value: Any) -> Decimal:
    """An aggregated cents value (int, Decimal or None) as an amount with two decimals."""
    if value is None:
        return Decimal("0.00")
    return (Decimal(value) / 100).quantize(CENT)
