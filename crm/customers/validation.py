"""Cleaning user input for customers and contacts: each field's rule and its message.

Errors are collected for every field at once so a form shows all of them together.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import models
from django.utils.translation import gettext as _

from crm.core.credit_code import is_valid_credit_code, normalize_credit_code
from crm.core.errors import FieldError, ValidationFailed
from crm.core.phone import normalize_phone
from crm.customers.models import CompanySize, CustomerSource, DealRole, Grade, LifecycleStage

Cleaner = Callable[[Any], Any]


def _text(max_length: int, *, required: bool = False) -> Cleaner:
    def clean(value: Any) -> str:
        text = "" if value is None else str(value).strip()
        if required and not text:
            raise ValueError(_("This field is required."))
        if len(text) > max_length:
            raise ValueError(_("Use at most %(max)d characters.") % {"max": max_length})
        return text

    return clean


def _choice(choices: type[models.TextChoices]) -> Cleaner:
    def clean(value: Any) -> str:
        text = "" if value is None else str(value).strip()
        if text and text not in choices.values:
            raise ValueError(_("“%(value)s” is not one of the available choices.") % {"value": text})
        return text

    return clean


def _email(value: Any) -> str:
    text = "" if value is None else str(value).strip().lower()
    if text:
        try:
            validate_email(text)
        except ValidationError as exc:
            raise ValueError(_("Enter a valid email address.")) from exc
    return text


def _url(value: Any) -> str:
    text = "" if value is None else str(value).strip()
    if text and "://" not in text:
        text = f"https://{text}"
    if text:
        try:
            URLValidator(schemes=["http", "https"])(text)
        except ValidationError as exc:
            raise ValueError(_("Enter a valid web address.")) from exc
    return text


def _credit_code(value: Any) -> str:
    text = normalize_credit_code("" if value is None else str(value))
    if text and not is_valid_credit_code(text):
        raise ValueError(_("A unified social credit code has 18 characters and a valid check digit."))
    return text


def _money(value: Any) -> Decimal | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        amount = Decimal(str(value).replace(",", "").strip())
    except InvalidOperation as exc:
        raise ValueError(_("Enter an amount, e.g. 12000000.")) from exc
    if not amount.is_finite() or amount < 0:
        raise ValueError(_("The amount must be zero or more."))
    if amount >= Decimal("1e16"):
        raise ValueError(_("The amount is too large."))
    return amount.quantize(Decimal("0.01"))


def _currency(value: Any) -> str:
    text = ("" if value is None else str(value)).strip().upper() or "CNY"
    if len(text) != 3 or not text.isalpha():
        raise ValueError(_("Use a three-letter currency code such as CNY or USD."))
    return text


def _date(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise ValueError(_("Enter a date as YYYY-MM-DD.")) from exc


def _external_id(value: Any) -> str | None:
    text = "" if value is None else str(value).strip()
    if len(text) > 100:
        raise ValueError(_("Use at most %(max)d characters.") % {"max": 100})
    return text or None


def clean_fields(values: dict[str, Any], cleaners: dict[str, Cleaner]) -> dict[str, Any]:
    """Apply each field's cleaner; raise one ValidationFailed listing every bad field."""
    cleaned: dict[str, Any] = {}
    errors: list[FieldError] = []
    for name, value in values.items():
        cleaner = cleaners.get(name)
        if cleaner is None:
            continue
        try:
            cleaned[name] = cleaner(value)
        except ValidationFailed as exc:
            errors.extend(exc.errors or [FieldError(field=name, message=exc.message)])
        except ValueError as exc:
            errors.append(FieldError(field=name, message=str(exc)))
    if errors:
        raise ValidationFailed(_("Please correct the highlighted fields."), errors=errors)
    return cleaned


def _phone(field: str) -> Cleaner:
    def clean(value: Any) -> str:
        return normalize_phone("" if value is None else str(value), field=field)

    return clean


def customer_cleaners() -> dict[str, Cleaner]:
    return {
        "name": _text(200, required=True),
        "credit_code": _credit_code,
        "grade": _choice(Grade),
        "industry": _text(50),
        "province": _text(30),
        "city": _text(30),
        "district": _text(30),
        "street": _text(200),
        "postcode": _text(10),
        "size": _choice(CompanySize),
        "annual_revenue": _money,
        "revenue_currency": _currency,
        "website": _url,
        "phone": _phone("phone"),
        "email": _email,
        "source": _choice(CustomerSource),
        "lifecycle_stage": _choice(LifecycleStage),
        "notes": _text(10000),
        "external_id": _external_id,
    }


def contact_cleaners() -> dict[str, Cleaner]:
    return {
        "name": _text(100, required=True),
        "title": _text(100),
        "deal_role": _choice(DealRole),
        "mobile": _phone("mobile"),
        "phone": _phone("phone"),
        "email": _email,
        "wechat": _text(100),
        "address": _text(200),
        "birthday": _date,
        "notes": _text(10000),
        "external_id": _external_id,
    }
