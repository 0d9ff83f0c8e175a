"""Engagement from follow-ups: points for recent contact that fade, a penalty for silence.

Built in rather than seeded as admin rules, because every lead is followed up in the same
sense; admins can add their own rules on `days_since_follow_up` on top (those decay from the
last follow-up too, see `rules.decay_basis`). Pure functions over the lead's facts.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from crm.leads.models import LeadStatus
from crm.leads.scoring.rules import Reason, decayed

RECENT_DAYS = 7
RECENT_POINTS = 10
# The points halve every week: +10 on the day, +7 three days later, +5 after a week.
RECENT_HALF_LIFE_DAYS = 7
QUIET_DAYS = 30
QUIET_POINTS = -7
OPEN_STATUSES = frozenset({LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.QUALIFIED})


def follow_up_reasons(facts: Mapping[str, Any]) -> list[Reason]:
    """+RECENT_POINTS (fading) for a follow-up in the last RECENT_DAYS; QUIET_POINTS for an open
    lead nobody has followed up for QUIET_DAYS (counted from its capture when nobody ever did)."""
    since_follow_up: Decimal | None = facts.get("days_since_follow_up")
    if since_follow_up is not None and since_follow_up <= RECENT_DAYS:
        points = decayed(RECENT_POINTS, RECENT_HALF_LIFE_DAYS, since_follow_up)
        text = _("followed up in the last %(days)d days") % {"days": RECENT_DAYS}
        return [Reason(points, text)] if points else []
    quiet = since_follow_up if since_follow_up is not None else facts.get("days_since_created")
    if facts.get("status") in OPEN_STATUSES and quiet is not None and quiet >= QUIET_DAYS:
        return [Reason(QUIET_POINTS, _("no follow-up in %(days)d days") % {"days": QUIET_DAYS})]
    return []
