"""The current time and date in the organisation's zone; tests move it with time-machine."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def now() -> dt.datetime:
    return timezone.now()


def today() -> dt.date:
    return timezone.localdate()


def day_start(day: dt.date) -> dt.datetime:
    """Midnight at the start of `day` in the organisation's zone (for date-range filters)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))
