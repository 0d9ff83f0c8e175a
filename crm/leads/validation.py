"""Cleaning user input for leads: the customers' field rules, applied to a lead's fields."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from crm.activities.models import ActivityKind
from crm.core import clock
from crm.customers.validation import (
    Cleaner,
    _choice,
    _date,
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


def _occurred_at(value: Any) -> dt.datetime:
    """When a follow-up happened: now when not given, never in the future."""
    if value in (None, ""):
        return clock.now()
    moment = value if isinstance(value, dt.datetime) else parse_datetime(str(value).strip())
    if moment is None:
        raise ValueError(_("Enter a date and time."))
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    # A few minutes of clock skew between a phone and the server is not "the future".
    if moment > clock.now() + dt.timedelta(minutes=5):
        raise ValueError(_("A follow-up cannot happen in the future."))
    return moment


def _kind(value: Any) -> str:
    text = str(value or ActivityKind.CALL).strip()
    if text not in ActivityKind.values:
        raise ValueError(_("Choose a follow-up type."))
    return text


def _content(value: Any) -> str:
    text = "" if value is None else str(value).strip()
    if not text:
        raise ValueError(_("Write what happened."))
    if len(text) > 10000:
        raise ValueError(_("Use at most %(max)d characters.") % {"max": 10000})
    return text


def follow_up_cleaners() -> dict[str, Cleaner]:
    """A lead follow-up's fields, with the same rules as a customer's follow-ups."""
    return {
        "kind": _kind,
        "content": _content,
        "occurred_at": _occurred_at,
        "next_step": _text(500),
        "next_contact_on": _date,
    }
