"""Cleaning contract input from any channel (web form, API, demo): one message per bad field."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from crm.core.errors import FieldError, ValidationFailed
from crm.quotes import pricing

MAX_MONEY = Decimal("99999999999999.99")
MAX_QUANTITY = Decimal("99999999999.999")
TEXT_LIMITS = {"title": 200, "our_party": 200, "customer_party": 200, "notes": 10000}
DATE_FIELDS = ("signed_on", "starts_on", "ends_on")


def invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, errors=[FieldError(field=field, message=message)])


def _decimal(raw: Any, *, low: Decimal, high: Decimal, places: int) -> Decimal | str:
    """The number, or the message saying why it is not one."""
    try:
        value = Decimal(str(raw).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        return _("Enter a number.")
    if not value.is_finite():
        return _("Enter a number.")
    if value < low or value > high:
        return _("Enter a value between %(low)s and %(high)s.") % {"low": low, "high": high}
    exact = value.quantize(Decimal(1).scaleb(-places))
    if value != exact:
        return _("Use at most %(places)d decimal places.") % {"places": places}
    return exact


def _date(raw: Any) -> dt.date | str | None:
    if raw in (None, ""):
        return None
    if isinstance(raw, dt.date):
        return raw
    try:
        return dt.date.fromisoformat(str(raw))
    except ValueError:
        return _("Enter a date as YYYY-MM-DD.")


def clean_contract(values: dict[str, Any], *, partial: bool, current: dict[str, Any] | None = None) -> dict[str, Any]:
    """Contract fields, checked; raises ValidationFailed listing every bad field at once.

    `current` holds the saved dates, so changing only the end date is still checked against the start.
    """
    cleaned: dict[str, Any] = {}
    errors: list[FieldError] = []
    for field, limit in TEXT_LIMITS.items():
        if field in values or (not partial and field == "title"):
            text = str(values.get(field) or "").strip()
            if field == "title" and not text:
                errors.append(FieldError(field, _("This field is required.")))
            elif len(text) > limit:
                errors.append(FieldError(field, _("Use at most %(max)d characters.") % {"max": limit}))
            cleaned[field] = text
    if "amount" in values:
        raw = values["amount"]
        amount = _decimal(0 if raw in (None, "") else raw, low=Decimal(0), high=MAX_MONEY, places=2)
        if isinstance(amount, str):
            errors.append(FieldError("amount", amount))
        else:
            cleaned["amount"] = amount
    if "currency" in values:
        currency = str(values.get("currency") or "CNY").strip().upper()
        if len(currency) != 3 or not (currency.isascii() and currency.isalpha()):
            errors.append(FieldError("currency", _("Enter a three-letter currency code such as CNY.")))
        cleaned["currency"] = currency
    for field in DATE_FIELDS:
        if field in values:
            day = _date(values[field])
            if isinstance(day, str):
                errors.append(FieldError(field, day))
            else:
                cleaned[field] = day
    if "external_id" in values:
        cleaned["external_id"] = str(values.get("external_id") or "").strip()[:100] or None
    dates = {**(current or {}), **{k: v for k, v in cleaned.items() if k in DATE_FIELDS}}
    starts_on, ends_on = dates.get("starts_on"), dates.get("ends_on")
    if starts_on and ends_on and ends_on < starts_on and not any(e.field == "ends_on" for e in errors):
        errors.append(FieldError("ends_on", _("The end date cannot be before the start date.")))
    if errors:
        raise ValidationFailed(_("Please correct the highlighted fields."), errors=errors)
    return cleaned


def clean_line(values: dict[str, Any], *, index: int | None = None) -> dict[str, Any]:
    """One product line; the total incl. tax is computed the way quotes compute it."""
    prefix = f"lines.{index}." if index is not None else ""
    errors: list[FieldError] = []
    cleaned: dict[str, Any] = {}
    name = str(values.get("name") or "").strip()
    if not name:
        errors.append(FieldError(f"{prefix}name", _("This field is required.")))
    elif len(name) > 300:
        errors.append(FieldError(f"{prefix}name", _("Use at most %(max)d characters.") % {"max": 300}))
    cleaned["name"] = name
    for field, limit in (("sku", 50), ("unit", 20)):
        text = str(values.get(field) or "").strip()
        if len(text) > limit:
            errors.append(FieldError(f"{prefix}{field}", _("Use at most %(max)d characters.") % {"max": limit}))
        cleaned[field] = text
    numbers = {
        "quantity": (values.get("quantity") or 1, Decimal("0.001"), MAX_QUANTITY, 3),
        "unit_price": (values.get("unit_price"), Decimal(0), MAX_MONEY, 2),
        "discount_percent": (values.get("discount_percent") or 0, Decimal(0), Decimal(100), 2),
        "tax_rate": (
            13 if values.get("tax_rate") in (None, "") else values.get("tax_rate"),
            Decimal(0),
            Decimal(100),
            2,
        ),
    }
    for field, (raw, low, high, places) in numbers.items():
        if raw in (None, ""):
            errors.append(FieldError(f"{prefix}{field}", _("This field is required.")))
            continue
        number = _decimal(raw, low=low, high=high, places=places)
        if isinstance(number, str):
            errors.append(FieldError(f"{prefix}{field}", number))
        else:
            cleaned[field] = number
    if errors:
        raise ValidationFailed(_("Please correct the highlighted fields."), errors=errors)
    amounts = pricing.line_amounts(
        pricing.LineInput(cleaned["quantity"], cleaned["unit_price"], cleaned["discount_percent"], cleaned["tax_rate"])
    )
    cleaned["total"] = amounts.net + amounts.tax
    return cleaned
