"""Phone number normalisation to E.164, with mainland China (+86) as the default region."""

from __future__ import annotations

import re

import phonenumbers
from django.utils.translation import gettext as _

from crm.core.errors import FieldError, ValidationFailed

DEFAULT_REGION = "CN"
# A mainland mobile in E.164. Dialled at home it is its eleven digits, with no trunk prefix.
_CN_MOBILE = re.compile(r"\+861[3-9]\d{9}")


def normalize_phone(raw: str, *, field: str, region: str = DEFAULT_REGION) -> str:
    """Return `raw` as E.164 (`+8613812345678`), or '' for an empty value.

    Raises ValidationFailed naming `field` when the number cannot be a real number.
    """
    value = (raw or "").strip()
    if not value:
        return ""
    try:
        parsed = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is None or not phonenumbers.is_valid_number(parsed):
        message = _("“%(value)s” is not a valid phone number.") % {"value": value}
        raise ValidationFailed(message, errors=[FieldError(field=field, message=message)])
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def national_digits(e164: str) -> str:
    """The digits a person dials at home: `+8613812345678` → `13812345678`."""
    if not e164:
        return ""
    if _CN_MOBILE.fullmatch(e164):
        # Most numbers a CRM holds; parsing and formatting them again is the slow part of a bulk load.
        return e164[3:]
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return "".join(ch for ch in e164 if ch.isdigit())
    # The national format keeps the trunk prefix of landlines (021 …), which national_number drops.
    national = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return "".join(ch for ch in national if ch.isdigit())


def display_phone(e164: str) -> str:
    """Show Chinese numbers in national form and others internationally."""
    if not e164:
        return ""
    if e164.startswith("+86"):
        return national_digits(e164)
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def mask_phone(e164: str) -> str:
    """Keep the first three and last four digits: `13812345678` → `138****5678`."""
    digits = display_phone(e164).replace(" ", "")
    if len(digits) <= 7:
        return "*" * len(digits)
    return f"{digits[:3]}****{digits[-4:]}"


def mask_email(email: str) -> str:
    """Keep the first character and the domain: `zhang.wei@example.com` → `z***@example.com`."""
    if not email or "@" not in email:
        return "***" if email else ""
    local, domain = email.split("@", 1)
    return f"{local[:1]}***@{domain}"


def preload_phone_metadata() -> None:
    """Load the default region's numbering plan at start-up, not lazily inside a request.

    The library loads metadata on first use behind a lock; doing it once per process before
    threads serve requests keeps that first load out of concurrent request handling.
    """
    phonenumbers.is_valid_number(phonenumbers.parse("13800138000", DEFAULT_REGION))
