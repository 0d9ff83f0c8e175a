"""The condition format: every operator, and clear errors for bad input."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.utils import translation

from crm.core.errors import ValidationFailed
from crm.leads.conditions import (
    AnyOf,
    Condition,
    all_hold,
    clause_holds,
    conditions_to_json,
    describe,
    describe_failure,
    lead_facts,
    parse_conditions,
)
from crm.leads.models import Lead


@pytest.fixture(autouse=True)
def in_english() -> Iterator[None]:
    with translation.override("en"):
        yield


FACTS: dict[str, Any] = {
    "annual_revenue": Decimal("25000000"),
    "industry": "制造业",
    "province": "浙江省",
    "city": "杭州市",
    "channel": "web_form",
    "campaign": "2026 工博会",
    "status": "new",
    "title": "Purchasing Director",
    "company_name": "杭州云栖智能制造有限公司",
    "has_mobile": True,
    "has_email": False,
    "has_company": True,
    "score": Decimal(42),
    "days_since_created": Decimal(3),
    "days_since_update": Decimal(30),
}


def _holds(field: str, op: str, value: Any = None, facts: dict[str, Any] | None = None) -> bool:
    raw = {"field": field, "op": op, "value": value}
    [clause] = parse_conditions([raw])
    return clause_holds(clause, facts or FACTS)


@pytest.mark.parametrize(
    ("op", "value", "expected"),
    [
        ("eq", 25000000, True),
        ("ne", 25000000, False),
        ("gt", "10,000,000", True),
        ("gte", 25000000, True),
        ("lt", 25000000, False),
        ("lte", "25000000.00", True),
        ("empty", None, False),
        ("not_empty", None, True),
    ],
)
def test_number_operators(op: str, value: Any, expected: bool) -> None:
    # given the lead's annual revenue of 25M, when compared, then
    assert _holds("annual_revenue", op, value) is expected


def test_a_missing_number_meets_only_not_equal_and_empty() -> None:
    # given a lead without revenue
    facts = {**FACTS, "annual_revenue": None}
    # when compared, then nothing but "≠" and "is empty" holds
    results = {op: _holds("annual_revenue", op, 1, facts) for op in ("eq", "ne", "gt", "gte", "lt", "lte")}
    assert results == {"eq": False, "ne": True, "gt": False, "gte": False, "lt": False, "lte": False}
    assert _holds("annual_revenue", "empty", None, facts) is True


@pytest.mark.parametrize(
    ("op", "value", "expected"),
    [
        ("eq", "制造业", True),
        ("ne", "制造业", False),
        ("in", ["零售", "制造业"], True),
        ("in", "零售，制造业", True),
        ("not_in", "零售、金融", True),
        ("contains", "制造", True),
        ("not_contains", "制造", False),
        ("empty", None, False),
        ("not_empty", None, True),
    ],
)
def test_text_operators(op: str, value: Any, expected: bool) -> None:
    assert _holds("industry", op, value) is expected


def test_text_matching_ignores_case_and_province_suffix() -> None:
    assert _holds("title", "contains", "purchasing") is True
    assert _holds("province", "in", ["浙江", "江苏"]) is True
    assert _holds("city", "eq", "杭州") is True


@pytest.mark.parametrize(("op", "value", "expected"), [("eq", "web_form", True), ("in", ["event", "api"], False)])
def test_choice_operators(op: str, value: Any, expected: bool) -> None:
    assert _holds("channel", op, value) is expected


@pytest.mark.parametrize(("field", "value", "expected"), [("has_mobile", True, True), ("has_email", "是", False)])
def test_bool_operator(field: str, value: Any, expected: bool) -> None:
    assert _holds(field, "is", value) is expected


def test_any_of_group_and_and_combination() -> None:
    # given revenue ≥ 10M and (industry = 零售 or province = 浙江)
    clauses = parse_conditions(
        [
            {"field": "annual_revenue", "op": "gte", "value": 10000000},
            {
                "any": [
                    {"field": "industry", "op": "eq", "value": "零售"},
                    {"field": "province", "op": "eq", "value": "浙江"},
                ]
            },
        ]
    )
    # then the lead meets them, and not once revenue is low
    assert all_hold(clauses, FACTS) is True
    assert all_hold(clauses, {**FACTS, "annual_revenue": Decimal(5)}) is False
    assert isinstance(clauses[1], AnyOf)


def test_parsed_conditions_round_trip_to_json() -> None:
    raw = [
        {"field": "annual_revenue", "op": "gte", "value": 10000000},
        {"field": "industry", "op": "in", "value": "制造业,零售"},
    ]
    assert conditions_to_json(parse_conditions(raw)) == [
        {"field": "annual_revenue", "op": "gte", "value": 10000000},
        {"field": "industry", "op": "in", "value": ["制造业", "零售"]},
    ]


@pytest.mark.parametrize(
    ("raw", "field", "message"),
    [
        ("{not json", "conditions", "The conditions are not valid JSON."),
        ('"text"', "conditions", "The conditions must be a list."),
        ([42], "conditions.0", "Each condition must be an object with field, op and value."),
        ([{"field": "password", "op": "eq", "value": 1}], "conditions.0.field", "Choose one of the listed fields."),
        (
            [{"field": "industry", "op": "gte", "value": 1}],
            "conditions.0.op",
            "This operator does not apply to industry.",
        ),
        (
            [{"field": "industry", "op": "__import__", "value": 1}],
            "conditions.0.op",
            "This operator does not apply to industry.",
        ),
        (
            [{"field": "annual_revenue", "op": "gte", "value": "lots"}],
            "conditions.0.value",
            "annual revenue (CNY): Enter a number.",
        ),
        (
            [{"field": "annual_revenue", "op": "gte", "value": True}],
            "conditions.0.value",
            "annual revenue (CNY): Enter a number.",
        ),
        ([{"field": "industry", "op": "eq", "value": " "}], "conditions.0.value", "industry: Enter a value."),
        ([{"field": "industry", "op": "in", "value": []}], "conditions.0.value", "industry: Give at least one value."),
        ([{"field": "industry", "op": "in", "value": 5}], "conditions.0.value", "industry: Give a list of values."),
        (
            [{"field": "channel", "op": "eq", "value": "tv"}],
            "conditions.0.value",
            "lead source: “tv” is not one of the allowed values.",
        ),
        (
            [{"field": "has_email", "op": "is", "value": "maybe"}],
            "conditions.0.value",
            "has an email address: Choose yes or no.",
        ),
        ([{"any": []}], "conditions.0", "An “any of” group needs a list of conditions."),
        ([{"any": [{"field": "x", "op": "eq"}]}], "conditions.0.any.0.field", "Choose one of the listed fields."),
    ],
)
def test_bad_input_names_the_part_and_says_why(raw: Any, field: str, message: str) -> None:
    # when bad conditions are parsed
    with pytest.raises(ValidationFailed) as caught:
        parse_conditions(raw)
    # then the first error names the part and explains it
    assert (caught.value.errors[0].field, caught.value.errors[0].message) == (field, message)


def test_every_bad_condition_is_reported() -> None:
    raw = [{"field": "nope", "op": "eq"}, {"field": "industry", "op": "eq", "value": "x" * 101}]
    with pytest.raises(ValidationFailed) as caught:
        parse_conditions(raw)
    assert [error.field for error in caught.value.errors] == ["conditions.0.field", "conditions.1.value"]


def test_too_many_conditions_and_required_conditions() -> None:
    with pytest.raises(ValidationFailed, match=r"Use at most 20 conditions\."):
        parse_conditions([{"field": "has_email", "op": "is", "value": True}] * 21)
    with pytest.raises(ValidationFailed, match=r"Add at least one condition\."):
        parse_conditions("", allow_empty=False)


def test_descriptions_and_failure_reasons() -> None:
    revenue = Condition("annual_revenue", "gte", Decimal(10000000))
    assert describe(revenue) == "annual revenue (CNY) ≥ 10,000,000"
    assert describe_failure(revenue, FACTS) == "annual revenue (CNY) < 10,000,000"
    assert describe_failure(revenue, {**FACTS, "annual_revenue": None}) == "annual revenue (CNY) is empty"
    assert (
        describe_failure(Condition("industry", "in", ("制造业", "零售")), FACTS) == "industry is none of 制造业, 零售"
    )
    assert describe_failure(Condition("has_email", "is", True), FACTS) == "has an email address: no"
    assert describe(Condition("channel", "eq", "web_form")) == "lead source = Web form"


def test_lead_facts_count_days_since_capture_and_last_touch() -> None:
    # given a lead captured 10 days ago and touched 4 days ago
    now = dt.datetime(2026, 5, 20, 12, tzinfo=dt.UTC)
    lead = Lead(
        name="李雷", mobile="13800000000", created_at=now - dt.timedelta(days=10), updated_at=now - dt.timedelta(days=4)
    )
    # when its facts are computed
    facts = lead_facts(lead, now)
    # then
    assert (facts["days_since_created"], facts["days_since_update"], facts["has_mobile"], facts["has_email"]) == (
        10,
        4,
        True,
        False,
    )
