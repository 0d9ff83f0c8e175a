"""Step conditions: whether a flow step applies to a record, tested against the facts its kind supplies.

A step's conditions are a JSON list, all of which must hold:
``[{"fact": "amount", "op": "gte", "value": "1000000"}, {"fact": "customer_grade", "op": "in", "value": ["A"]}]``.
Facts and operators come from a whitelist; nothing an administrator types is ever executed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

MAX_CONDITIONS = 5
MAX_VALUES = 50

OPERATORS: dict[str, Promise] = {
    "gte": gettext_lazy("at least (≥)"),
    "gt": gettext_lazy("more than (>)"),
    "lte": gettext_lazy("at most (≤)"),
    "lt": gettext_lazy("less than (<)"),
    "eq": gettext_lazy("equals (=)"),
    "in": gettext_lazy("is one of"),
}
SYMBOLS = {"gte": "≥", "gt": ">", "lte": "≤", "lt": "<", "eq": "=", "in": "∈"}
_ORDERED = {"gte", "gt", "lte", "lt"}


class ConditionError(ValueError):
    """A condition an administrator entered does not make sense; the message says why."""


def _number(raw: Any) -> Decimal | None:
    if isinstance(raw, bool) or raw is None:
        return None
    if isinstance(raw, Decimal | int | float):
        return Decimal(str(raw))
    try:
        value = Decimal(str(raw).replace(",", "").replace("，", "").strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def split_values(raw: Any) -> list[str]:
    """ "A, B、C" or ["A", "B"] → ["A", "B", "C"]."""
    if isinstance(raw, list | tuple):
        parts = [str(part) for part in raw]
    else:
        text = str(raw or "")
        for separator in ("，", "、", ";", "；", "\n"):
            text = text.replace(separator, ",")
        parts = text.split(",")
    return [part.strip() for part in parts if part.strip()]


def clean_conditions(raw: Sequence[Mapping[str, Any]], facts: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The canonical JSON of `raw`, or ConditionError naming the first problem.

    `facts` is the kind's fact labels: a condition may only test a fact the kind supplies.
    """
    if len(raw) > MAX_CONDITIONS:
        raise ConditionError(_("Use at most %(count)d conditions per step.") % {"count": MAX_CONDITIONS})
    cleaned: list[dict[str, Any]] = []
    for item in raw:
        fact, op, value = str(item.get("fact", "")), str(item.get("op", "")), item.get("value")
        if fact not in facts:
            raise ConditionError(_("Choose what the condition tests."))
        if op not in OPERATORS:
            raise ConditionError(_("Choose how the condition compares."))
        if op == "in":
            values = split_values(value)
            if not values:
                raise ConditionError(_("Give at least one value for “is one of”."))
            if len(values) > MAX_VALUES:
                raise ConditionError(_("Give at most %(count)d values.") % {"count": MAX_VALUES})
            cleaned.append({"fact": fact, "op": op, "value": values})
            continue
        text = str(value if value is not None else "").strip()
        if not text:
            raise ConditionError(_("Give the value to compare with."))
        if op in _ORDERED:
            number = _number(text)
            if number is None:
                raise ConditionError(_("“%(value)s” is not a number.") % {"value": text})
            text = str(number)
        cleaned.append({"fact": fact, "op": op, "value": text})
    return cleaned


def holds(condition: Mapping[str, Any], facts: Mapping[str, Any]) -> bool:
    """Whether one condition holds for these facts; a missing fact never satisfies a condition."""
    actual = facts.get(str(condition.get("fact", "")))
    op, expected = condition.get("op"), condition.get("value")
    if actual is None or actual == "":
        return False
    if op in _ORDERED:
        left, right = _number(actual), _number(expected)
        if left is None or right is None:
            return False
        if op == "gte":
            return left >= right
        if op == "gt":
            return left > right
        if op == "lte":
            return left <= right
        return left < right
    if op == "eq":
        left, right = _number(actual), _number(expected)
        if left is not None and right is not None and not isinstance(actual, str):
            return left == right
        return str(actual).strip().casefold() == str(expected).strip().casefold()
    if op == "in":
        wanted = {value.casefold() for value in split_values(expected)}
        number = _number(actual)
        if number is not None and not isinstance(actual, str):
            return any(_number(value) == number for value in split_values(expected))
        return str(actual).strip().casefold() in wanted
    return False


def all_hold(conditions: Sequence[Mapping[str, Any]], facts: Mapping[str, Any]) -> bool:
    return all(holds(condition, facts) for condition in conditions)


def describe(condition: Mapping[str, Any], labels: Mapping[str, Any]) -> str:
    """How a condition reads on screen: "金额 ≥ 1,000,000", "客户分级 ∈ A, B"."""
    fact = str(condition.get("fact", ""))
    label = str(labels.get(fact, fact))
    op = str(condition.get("op", ""))
    value = condition.get("value")
    if op == "in":
        shown = ", ".join(split_values(value))
    else:
        number = _number(value) if op in _ORDERED else None
        shown = f"{number:,}" if number is not None else str(value)
    return f"{label} {SYMBOLS.get(op, op)} {shown}"


def plain_facts(facts: Mapping[str, Any]) -> dict[str, Any]:
    """Facts as JSON keeps them (Decimal → str), for the snapshot on the request."""
    return {
        name: str(value) if isinstance(value, Decimal) else value
        for name, value in facts.items()
        if value is None or isinstance(value, str | int | float | bool | Decimal)
    }
