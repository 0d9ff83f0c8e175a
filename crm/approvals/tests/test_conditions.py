"""Step conditions as pure functions: cleaning what an administrator typed, testing facts, reading them back."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crm.approvals.conditions import ConditionError, all_hold, clean_conditions, describe, holds

FACTS = {"amount": "金额", "customer_grade": "客户分级", "discount_percent": "折扣"}


def test_cleaning_normalises_numbers_and_lists() -> None:
    cleaned = clean_conditions(
        [
            {"fact": "amount", "op": "gte", "value": "1,000,000"},
            {"fact": "customer_grade", "op": "in", "value": "A、B，C"},
        ],
        FACTS,
    )
    assert cleaned == [
        {"fact": "amount", "op": "gte", "value": "1000000"},
        {"fact": "customer_grade", "op": "in", "value": ["A", "B", "C"]},
    ]


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ({"fact": "colour", "op": "eq", "value": "x"}, "Choose what the condition tests."),
        ({"fact": "amount", "op": "between", "value": "1"}, "Choose how the condition compares."),
        ({"fact": "amount", "op": "gt", "value": "lots"}, "“lots” is not a number."),
        ({"fact": "amount", "op": "gt", "value": ""}, "Give the value to compare with."),
        ({"fact": "customer_grade", "op": "in", "value": " , "}, "Give at least one value for “is one of”."),
    ],
)
def test_cleaning_refuses_what_cannot_be_tested(condition: dict[str, str], message: str) -> None:
    from django.utils import translation

    with translation.override("en"), pytest.raises(ConditionError) as refused:
        clean_conditions([condition], FACTS)
    assert str(refused.value) == message


def test_missing_facts_never_satisfy_a_condition() -> None:
    assert not holds({"fact": "amount", "op": "lt", "value": "100"}, {})
    assert not holds({"fact": "customer_grade", "op": "in", "value": ["A"]}, {"customer_grade": ""})


def test_numbers_compare_as_decimals_and_text_ignores_case() -> None:
    assert holds({"fact": "amount", "op": "eq", "value": "1000000"}, {"amount": Decimal("1000000.00")})
    assert holds({"fact": "customer_grade", "op": "eq", "value": "a"}, {"customer_grade": "A"})
    assert all_hold([], {"amount": Decimal(1)})


def test_conditions_read_with_labels_and_symbols() -> None:
    assert describe({"fact": "amount", "op": "gte", "value": "1000000"}, FACTS) == "金额 ≥ 1,000,000"
    assert describe({"fact": "customer_grade", "op": "in", "value": ["A", "B"]}, FACTS) == "客户分级 ∈ A, B"
    assert describe({"fact": "discount_percent", "op": "gt", "value": "15"}, FACTS) == "折扣 > 15"
