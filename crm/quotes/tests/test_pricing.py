"""Quote arithmetic without the database: rounding examples and properties that hold for any input."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from crm.quotes.pricing import LineInput, line_amounts, quote_amounts

quantities = st.decimals(min_value=Decimal("0.001"), max_value=Decimal(100000), places=3)
prices = st.decimals(min_value=Decimal(0), max_value=Decimal(1000000), places=2)
percents = st.decimals(min_value=Decimal(0), max_value=Decimal(100), places=2)
rates = st.sampled_from([Decimal(0), Decimal(6), Decimal(9), Decimal(13)])
lines = st.lists(st.builds(LineInput, quantities, prices, percents, rates), min_size=0, max_size=8)


def test_line_net_applies_the_discount_and_rounds_half_up_to_the_fen() -> None:
    # given 3 units at ¥33.35 with 10% off and 13% VAT
    line = LineInput(Decimal(3), Decimal("33.35"), Decimal(10), Decimal(13))

    # when the amounts are computed
    amounts = line_amounts(line)

    # then 100.05 × 0.9 = 90.045 rounds up to 90.05, and the tax 11.7065 to 11.71
    assert amounts.gross == Decimal("100.05")
    assert amounts.net == Decimal("90.05")
    assert amounts.tax == Decimal("11.71")


def test_overall_discount_applies_to_every_line_after_its_own_discount() -> None:
    # given a line of ¥1,000 with 10% off, and 5% off the whole quote
    line = LineInput(Decimal(1), Decimal(1000), Decimal(10), Decimal(6))

    # when the amounts are computed
    amounts = line_amounts(line, overall_discount=Decimal(5))

    # then 1000 × 0.9 × 0.95 = 855.00, tax 51.30
    assert amounts.net == Decimal("855.00")
    assert amounts.tax == Decimal("51.30")


def test_quote_totals_are_sums_of_the_rounded_lines() -> None:
    # given two lines whose unrounded tax would add up differently
    first = line_amounts(LineInput(Decimal(1), Decimal("0.05"), Decimal(0), Decimal(13)))
    second = line_amounts(LineInput(Decimal(1), Decimal("0.05"), Decimal(0), Decimal(13)))

    # when the totals are computed
    totals = quote_amounts([first, second])

    # then tax is 0.01 + 0.01 (each 0.0065 rounded half up), not round(0.013) = 0.01
    assert totals.subtotal == Decimal("0.10")
    assert totals.tax == Decimal("0.02")
    assert totals.total == Decimal("0.12")


def test_an_empty_quote_totals_zero() -> None:
    totals = quote_amounts([])

    assert (totals.subtotal, totals.tax, totals.total) == (Decimal("0.00"), Decimal("0.00"), Decimal("0.00"))


@given(lines, percents)
def test_total_is_subtotal_plus_tax_and_never_negative(inputs: list[LineInput], overall: Decimal) -> None:
    amounts = [line_amounts(line, overall_discount=overall) for line in inputs]

    totals = quote_amounts(amounts)

    assert totals.total == totals.subtotal + totals.tax
    assert totals.subtotal >= 0
    assert totals.tax >= 0
    assert totals.total >= 0
    assert totals.discount >= 0


@given(lines, percents)
def test_line_amounts_add_up_to_the_totals_in_whole_fen(inputs: list[LineInput], overall: Decimal) -> None:
    amounts = [line_amounts(line, overall_discount=overall) for line in inputs]

    totals = quote_amounts(amounts)

    assert totals.subtotal == sum((row.net for row in amounts), Decimal(0))
    assert totals.tax == sum((row.tax for row in amounts), Decimal(0))
    assert all(row.net == row.net.quantize(Decimal("0.01")) for row in amounts)
    assert all(row.net <= row.gross for row in amounts)
