"""Field cleaning shared by every entrypoint: money as Decimal, dates, text; messages name the field."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from crm.core.errors import FieldError, ValidationFailed

MAX_MONEY = Decimal("99999999999999.99")
CENT = Decimal("0.01")


def invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, errors=[FieldError(field=field, message=message)])


def clean_money(field: str, raw: Any, *, positive: bool = True) -> Decimal:
    """A positive amount with at most two decimals. Floats are refused: they cannot hold cents exactly."""
    if isinstance(raw, float):
        raise invalid(field, _("Send amounts as text or a decimal number, not a binary float."))
    if raw is None or str(raw).strip() == "":
        raise invalid(field, _("This field is required."))
    try:
        value = Decimal(str(raw).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise invalid(field, _("Enter a number.")) from None
    if not value.is_finite():
        raise invalid(field, _("Enter a number."))
    if positive and value <= 0:
        raise invalid(field, _("Enter an amount greater than zero."))
    if abs(value) > MAX_MONEY:
        raise invalid(field, _("Enter a value between %(low)s and %(high)s.") % {"low": 0, "high": MAX_MONEY})
    exact = value.quantize(CENT)
    if exact != value:
        raise invalid(field, _("Use at most %(places)d decimal places.") % {"places": 2})
    return exact


def clean_day(field: str, raw: Any) -> dt.date:
    """A required date."""
    value = clean_date(field, raw)
    if value is None:
        raise invalid(field, _("This field is required."))
    return value


def clean_date(field: str, raw: Any) -> dt.date | None:
    """An optional date: empty means None."""
    if raw in (None, ""):
        return None
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    try:
        return dt.date.fromisoformat(str(raw).strip())
    except ValueError:
        raise invalid(field, _("Enter a date as YYYY-MM-DD.")) from None


def clean_text(field: str, raw: Any, *, max_length: int, required: bool = False) -> str:
    value = str(raw or "").strip()
    if required and not value:
        raise invalid(field, _("This field is required."))
    if len(value) > max_length:
        raise invalid(field, _("Use at most %(max)d characters.") % {"max": max_length})
    return value


def clean_choice(field: str, raw: Any, choices: list[str]) -> str:
    value = str(raw or "").strip()
    if value not in choices:
        raise invalid(field, _("Choose one of the listed options."))
    return value


def clean_id(field: str, raw: Any) -> int:
    try:
        value = int(str(raw))
    except (TypeError, ValueError):
        raise invalid(field, _("Enter a whole number.")) from None
    if value <= 0:
        raise invalid(field, _("Enter a whole number."))
    return value
