"""Filters for lead reports: durations and rates in words a sales manager reads at a glance."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

register = template.Library()


@register.filter
def duration_short(value: dt.timedelta | None) -> str:
    """“2 days 3 hours”, “5 hours”, “40 minutes”; a dash when there is nothing to average."""
    if value is None:
        return "—"
    minutes = int(value.total_seconds() // 60)
    days, hours, minutes = minutes // 1440, minutes % 1440 // 60, minutes % 60
    if days:
        text = ngettext("%(n)d day", "%(n)d days", days) % {"n": days}
        if hours:
            text += " " + ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
        return text
    if hours:
        return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
    return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}


@register.filter
def percent(value: float) -> str:
    return _("%(value)s%%") % {"value": f"{value * 100:.1f}"}


@register.filter
def share_of(value: int, widest: int) -> int:
    """The bar width, in percent of the widest row."""
    return round(value * 100 / widest) if widest else 0
