"""The one condition format shared by entry criteria, scoring rules and assignment rules.

A condition list is JSON, ANDed: ``[{"field": "annual_revenue", "op": "gte", "value": 10000000},
{"any": [{"field": "industry", "op": "in", "value": ["制造业"]}, ...]}]``. Fields and operators
come from a whitelist, values are checked against the field's kind, and evaluation is plain
Python over a dict of facts about the lead — nothing the admin types is ever executed.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy

from crm.core.errors import FieldError, ValidationFailed
from crm.leads.models import Channel, Lead, LeadStatus

MAX_CONDITIONS = 20
MAX_VALUES = 200
MAX_TEXT = 100

NUMBER, TEXT, CHOICE, BOOL = "number", "text", "choice", "bool"

OPERATORS: dict[str, tuple[str, ...]] = {
    NUMBER: ("eq", "ne", "gt", "gte", "lt", "lte", "empty", "not_empty"),
    TEXT: ("eq", "ne", "in", "not_in", "contains", "not_contains", "empty", "not_empty"),
    CHOICE: ("eq", "ne", "in", "not_in"),
    BOOL: ("is",),
}
OPERATOR_LABELS: dict[str, Promise] = {
    "eq": gettext_lazy("equals"),
    "ne": gettext_lazy("does not equal"),
    "gt": gettext_lazy("greater than"),
    "gte": gettext_lazy("at least"),
    "lt": gettext_lazy("less than"),
    "lte": gettext_lazy("at most"),
    "in": gettext_lazy("is one of"),
    "not_in": gettext_lazy("is none of"),
    "contains": gettext_lazy("contains"),
    "not_contains": gettext_lazy("does not contain"),
    "empty": gettext_lazy("is empty"),
    "not_empty": gettext_lazy("is filled in"),
    "is": pgettext_lazy("condition operator", "is"),
}
# How a condition reads in a reason ("年营业额 ≥ 10,000,000").
_SYMBOLS = {"eq": "=", "ne": "≠", "gt": ">", "gte": "≥", "lt": "<", "lte": "≤"}
# The operator that is true exactly when the given one is false, for "why it failed" texts.
_NEGATION = {
    "eq": "ne",
    "ne": "eq",
    "gt": "lte",
    "gte": "lt",
    "lt": "gte",
    "lte": "gt",
    "in": "not_in",
    "not_in": "in",
    "contains": "not_contains",
    "not_contains": "contains",
    "empty": "not_empty",
    "not_empty": "empty",
}
_NO_VALUE = {"empty", "not_empty"}
_LIST_VALUE = {"in", "not_in"}
_REGION_SUFFIXES = ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市")


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: Promise
    kind: str
    choices: Mapping[str, Promise] | None = None


FIELDS: dict[str, FieldSpec] = {
    spec.name: spec
    for spec in (
        FieldSpec("annual_revenue", gettext_lazy("annual revenue (CNY)"), NUMBER),
        FieldSpec("industry", gettext_lazy("industry"), TEXT),
        FieldSpec("province", gettext_lazy("province"), TEXT),
        FieldSpec("city", gettext_lazy("city"), TEXT),
        FieldSpec("channel", gettext_lazy("lead source"), CHOICE, dict(Channel.choices)),
        FieldSpec("campaign", gettext_lazy("campaign"), TEXT),
        FieldSpec("status", gettext_lazy("status"), CHOICE, dict(LeadStatus.choices)),
        FieldSpec("title", gettext_lazy("job title"), TEXT),
        FieldSpec("company_name", gettext_lazy("company name"), TEXT),
        FieldSpec("has_mobile", gettext_lazy("has a mobile number"), BOOL),
        FieldSpec("has_email", gettext_lazy("has an email address"), BOOL),
        FieldSpec("has_company", gettext_lazy("has a company name"), BOOL),
        FieldSpec("score", gettext_lazy("lead score"), NUMBER),
        FieldSpec("days_since_created", gettext_lazy("days since captured"), NUMBER),
        FieldSpec("days_since_update", gettext_lazy("days since last touch"), NUMBER),
        FieldSpec("days_since_follow_up", gettext_lazy("days since last follow-up"), NUMBER),
    )
}


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: Any = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"field": self.field, "op": self.op}
        if self.op not in _NO_VALUE:
            data["value"] = [str(v) for v in self.value] if isinstance(self.value, tuple) else _json_scalar(self.value)
        return data


@dataclass(frozen=True)
class AnyOf:
    """A group that holds when at least one of its conditions holds."""

    conditions: tuple[Condition, ...]

    def to_json(self) -> dict[str, Any]:
        return {"any": [c.to_json() for c in self.conditions]}


Clause = Condition | AnyOf


def _json_scalar(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def conditions_to_json(clauses: Sequence[Clause]) -> list[dict[str, Any]]:
    return [clause.to_json() for clause in clauses]


# Parsing and validation ------------------------------------------------------------------------


def _number(raw: Any) -> Decimal:
    if isinstance(raw, bool):
        raise ValueError
    try:
        value = Decimal(str(raw).replace(",", "").strip())
    except InvalidOperation as exc:
        raise ValueError from exc
    if not value.is_finite() or abs(value) >= Decimal("1e16"):
        raise ValueError
    return value


def _bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in {"true", "1", "yes", "是"}:
        return True
    if text in {"false", "0", "no", "否"}:
        return False
    raise ValueError


def _split_values(raw: Any) -> list[str]:
    if isinstance(raw, str):
        for separator in ("，", "、", ";", "；", "\n"):
            raw = raw.replace(separator, ",")
        return [part.strip() for part in raw.split(",") if part.strip()]
    if isinstance(raw, list | tuple):
        return [str(part).strip() for part in raw if str(part).strip()]
    raise ValueError


def _parse_value(spec: FieldSpec, op: str, raw: Any) -> Any:
    """The value in its canonical type; ValueError with a message when it does not fit."""
    if op in _NO_VALUE:
        return None
    if spec.kind == BOOL:
        try:
            return _bool(raw)
        except ValueError:
            raise ValueError(_("Choose yes or no.")) from None
    if op in _LIST_VALUE:
        try:
            values = _split_values(raw)
        except ValueError:
            raise ValueError(_("Give a list of values.")) from None
        if not values:
            raise ValueError(_("Give at least one value."))
        if len(values) > MAX_VALUES:
            raise ValueError(_("Give at most %(count)d values.") % {"count": MAX_VALUES})
        return tuple(_parse_single(spec, value) for value in values)
    return _parse_single(spec, raw)


def _parse_single(spec: FieldSpec, raw: Any) -> Any:
    if spec.kind == NUMBER:
        try:
            return _number(raw)
        except ValueError:
            raise ValueError(_("Enter a number.")) from None
    text = "" if raw is None else str(raw).strip()
    if not text:
        raise ValueError(_("Enter a value."))
    if len(text) > MAX_TEXT:
        raise ValueError(_("Keep each value under %(count)d characters.") % {"count": MAX_TEXT})
    if spec.choices is not None and text not in spec.choices:
        raise ValueError(_("“%(value)s” is not one of the allowed values.") % {"value": text})
    return text


def _parse_condition(item: Any, path: str, errors: list[FieldError]) -> Condition | None:
    if not isinstance(item, dict):
        errors.append(FieldError(path, _("Each condition must be an object with field, op and value.")))
        return None
    spec = FIELDS.get(str(item.get("field", "")))
    if spec is None:
        errors.append(FieldError(f"{path}.field", _("Choose one of the listed fields.")))
        return None
    op = str(item.get("op", ""))
    if op not in OPERATORS[spec.kind]:
        errors.append(FieldError(f"{path}.op", _("This operator does not apply to %(field)s.") % {"field": spec.label}))
        return None
    try:
        value = _parse_value(spec, op, item.get("value"))
    except ValueError as exc:
        errors.append(FieldError(f"{path}.value", _("%(field)s: %(problem)s") % {"field": spec.label, "problem": exc}))
        return None
    return Condition(spec.name, op, value)


def parse_conditions(raw: Any, *, prefix: str = "conditions", allow_empty: bool = True) -> list[Clause]:
    """Validated clauses from JSON text or decoded JSON; ValidationFailed names each bad part."""
    if isinstance(raw, str):
        if not raw.strip():
            raw = []
        else:
            try:
                raw = json.loads(raw)
            except json.JSONDecodeError:
                message = _("The conditions are not valid JSON.")
                raise ValidationFailed(message, errors=[FieldError(prefix, message)]) from None
    if raw is None:
        raw = []
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list):
        message = _("The conditions must be a list.")
        raise ValidationFailed(message, errors=[FieldError(prefix, message)])
    if len(raw) > MAX_CONDITIONS:
        message = _("Use at most %(count)d conditions.") % {"count": MAX_CONDITIONS}
        raise ValidationFailed(message, errors=[FieldError(prefix, message)])
    if not raw and not allow_empty:
        message = _("Add at least one condition.")
        raise ValidationFailed(message, errors=[FieldError(prefix, message)])
    errors: list[FieldError] = []
    clauses: list[Clause] = []
    for index, item in enumerate(raw):
        path = f"{prefix}.{index}"
        if isinstance(item, dict) and "any" in item:
            members = item["any"]
            if not isinstance(members, list) or not members:
                errors.append(FieldError(path, _("An “any of” group needs a list of conditions.")))
                continue
            parsed = [_parse_condition(member, f"{path}.any.{n}", errors) for n, member in enumerate(members)]
            if all(member is not None for member in parsed):
                clauses.append(AnyOf(tuple(member for member in parsed if member is not None)))
            continue
        condition = _parse_condition(item, path, errors)
        if condition is not None:
            clauses.append(condition)
    if errors:
        raise ValidationFailed(errors[0].message, errors=errors)
    return clauses


# Evaluation ------------------------------------------------------------------------------------


def _days_between(earlier: dt.datetime | None, now: dt.datetime) -> Decimal | None:
    if earlier is None:
        return None
    return Decimal(max(0, (now - earlier).days))


def lead_facts(lead: Lead, now: dt.datetime, *, score: int | None = None) -> dict[str, Any]:
    """Everything a condition may look at, computed once per lead."""
    return {
        "annual_revenue": lead.annual_revenue,
        "industry": lead.industry,
        "province": lead.province,
        "city": lead.city,
        "channel": lead.channel,
        "campaign": lead.campaign,
        "status": lead.status,
        "title": lead.title,
        "company_name": lead.company_name,
        "has_mobile": bool(lead.mobile),
        "has_email": bool(lead.email),
        "has_company": bool(lead.company_name),
        "score": Decimal(lead.score if score is None else score),
        "days_since_created": _days_between(lead.created_at, now),
        "days_since_update": _days_between(lead.updated_at, now),
        # Empty (None) when nobody has followed the lead up yet.
        "days_since_follow_up": _days_between(lead.last_followed_up_at, now),
    }


def _text_key(field: str, value: Any) -> str:
    text = str(value or "").strip().casefold()
    if field in {"province", "city"}:
        # "浙江" and "浙江省" name the same province.
        for suffix in _REGION_SUFFIXES:
            if text.endswith(suffix) and len(text) > len(suffix):
                return text[: -len(suffix)]
    return text


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
}


def condition_holds(condition: Condition, facts: Mapping[str, Any]) -> bool:
    spec = FIELDS[condition.field]
    actual = facts.get(condition.field)
    op = condition.op
    if spec.kind == BOOL:
        return bool(actual) is bool(condition.value)
    if op == "empty":
        return actual in (None, "")
    if op == "not_empty":
        return actual not in (None, "")
    if spec.kind == NUMBER:
        if actual is None:
            return op == "ne"
        return bool(_COMPARE[op](Decimal(actual), condition.value))
    key = _text_key(condition.field, actual)
    if op in _LIST_VALUE:
        found = key in {_text_key(condition.field, v) for v in condition.value}
        return found if op == "in" else not found
    wanted = _text_key(condition.field, condition.value)
    if op == "contains":
        return wanted in key
    if op == "not_contains":
        return wanted not in key
    return (key == wanted) if op == "eq" else (key != wanted)


def clause_holds(clause: Clause, facts: Mapping[str, Any]) -> bool:
    if isinstance(clause, AnyOf):
        return any(condition_holds(c, facts) for c in clause.conditions)
    return condition_holds(clause, facts)


def all_hold(clauses: Sequence[Clause], facts: Mapping[str, Any]) -> bool:
    return all(clause_holds(clause, facts) for clause in clauses)


def first_failing(clauses: Sequence[Clause], facts: Mapping[str, Any]) -> Clause | None:
    for clause in clauses:
        if not clause_holds(clause, facts):
            return clause
    return None


# Describing ------------------------------------------------------------------------------------


def _format_number(value: Decimal) -> str:
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return f"{value:,.2f}"


def _format_value(spec: FieldSpec, value: Any) -> str:
    if isinstance(value, tuple):
        return str(pgettext("list separator", ", ")).join(_format_value(spec, item) for item in value)
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, Decimal):
        return _format_number(value)
    if spec.choices is not None and value in spec.choices:
        return str(spec.choices[value])
    return str(value)


def describe(condition: Condition, *, negate: bool = False) -> str:
    """A short human reading of a condition, or of its opposite."""
    spec = FIELDS[condition.field]
    if spec.kind == BOOL:
        value = (not condition.value) if negate else condition.value
        return f"{spec.label}: {_format_value(spec, value)}"
    op = _NEGATION[condition.op] if negate else condition.op
    if op in _NO_VALUE:
        return f"{spec.label} {OPERATOR_LABELS[op]}"
    value = _format_value(spec, condition.value)
    if op in _SYMBOLS:
        return f"{spec.label} {_SYMBOLS[op]} {value}"
    return f"{spec.label} {OPERATOR_LABELS[op]} {value}"


def describe_clause(clause: Clause) -> str:
    if isinstance(clause, AnyOf):
        return str(_("any of: %(items)s") % {"items": "; ".join(describe(c) for c in clause.conditions)})
    return describe(clause)


def describe_failure(clause: Clause, facts: Mapping[str, Any]) -> str:
    """Why `clause` does not hold for these facts ("年营业额 < 10,000,000", "行业 为空")."""
    if isinstance(clause, AnyOf):
        return str(_("none of: %(items)s") % {"items": "; ".join(describe(c) for c in clause.conditions)})
    spec = FIELDS[clause.field]
    if spec.kind == NUMBER and facts.get(clause.field) is None and clause.op not in _NO_VALUE:
        return f"{spec.label} {OPERATOR_LABELS['empty']}"
    return describe(clause, negate=True)


def describe_all(clauses: Sequence[Clause]) -> str:
    return str(_(" and ")).join(describe_clause(c) for c in clauses) if clauses else str(_("every lead"))
