"""Cleaning user input for leads: the customers' field rules, applied to a lead's fields."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from crm.customers.validation import (
    Cleaner,
    _choice,
    _email,
    _external_id,
    _money,
    _phone,
    _text,
)
from crm.leads.models import Channel, LeadStatus


def _raw_submission(value: Any) -> dict[str, Any]:
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise ValueError(_("The raw submission must be a JSON object."))
    return value


def lead_cleaners() -> dict[str, Cleaner]:
    return {
        "name": _text(100, required=True),
        "company_name": _text(200),
        "title": _text(100),
        "mobile": _phone("mobile"),
        "phone": _phone("phone"),
        "email": _email,
        "wechat": _text(100),
        "province": _text(30),
        "city": _text(30),
        "industry": _text(50),
        "annual_revenue": _money,
        "notes": _text(10000),
        "channel": _choice(Channel),
        "campaign": _text(100),
        "raw_submission": _raw_submission,
        "external_id": _external_id,
    }


def status_cleaners() -> dict[str, Cleaner]:
    return {"status": _choice(LeadStatus), "unqualified_reason": _text(500)}
