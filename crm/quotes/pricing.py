"""Quote arithmetic in Decimal: line net, tax per line, and the quote's subtotal, tax and total.

Every amount is rounded to the fen (0.01) half-up, the way Chinese invoices (发票) round. Tax is
computed and rounded per line, so the printed lines always add up to the printed totals.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def to_cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class LineInput:
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    tax_rate: Decimal


@dataclass(frozen=True)
class LineAmounts:
    gross: Decimal  # quantity × unit price, before any discount
    net: Decimal  # after the line and the overall discount
    tax: Decimal


@dataclass(frozen=True)
class QuoteAmounts:
    gross: Decimal
    discount: Decimal
    subtotal: Decimal
    tax: Decimal
    total: Decimal


def line_amounts(line: LineInput, *, overall_discount: Decimal = Decimal(0)) -> LineAmounts:
    """Net = quantity × price × (1 − line discount) × (1 − overall discount); tax = net × rate."""
    gross = line.quantity * line.unit_price
    net = gross * (1 - line.discount_percent / HUNDRED) * (1 - overall_discount / HUNDRED)
    net_cents = to_cents(net)
    return LineAmounts(gross=to_cents(gross), net=net_cents, tax=to_cents(net_cents * line.tax_rate / HUNDRED))


def quote_amounts(lines: Iterable[LineAmounts]) -> QuoteAmounts:
    """Totals are sums of the rounded lines, never re-rounded: what the customer adds up matches."""
    rows = list(lines)
    gross = sum((row.gross for row in rows), Decimal("0.00"))
    subtotal = sum((row.net for row in rows), Decimal("0.00"))
    tax = sum((row.tax for row in rows), Decimal("0.00"))
    return QuoteAmounts(gross=gross, discount=gross - subtotal, subtotal=subtotal, tax=tax, total=subtotal + tax)
