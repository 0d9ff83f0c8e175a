"""Receivables ageing (应收账龄): the buckets by days past the due date.

An instalment is overdue from the day after its due date. The buckets cover every overdue day
exactly once, so their sum is always the overdue total.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Bucket:
    key: str
    label: Promise
    first_day: int  # days past due, inclusive
    last_day: int | None  # inclusive; None means no upper end


BUCKETS: tuple[Bucket, ...] = (
    Bucket("days_0_30", _("0–30 days"), 1, 30),
    Bucket("days_31_60", _("31–60 days"), 31, 60),
    Bucket("days_61_90", _("61–90 days"), 61, 90),
    Bucket("days_over_90", _("Over 90 days"), 91, None),
)


def due_range(bucket: Bucket, today: dt.date) -> tuple[dt.date | None, dt.date]:
    """The due dates falling in `bucket` on `today`: (earliest or None, latest), both inclusive."""
    latest = today - dt.timedelta(days=bucket.first_day)
    earliest = None if bucket.last_day is None else today - dt.timedelta(days=bucket.last_day)
    return earliest, latest


def bucket_of(days_past_due: int) -> Bucket | None:
    """The bucket for an instalment this many days past due; None when it is not overdue."""
    for bucket in BUCKETS:
        if days_past_due >= bucket.first_day and (bucket.last_day is None or days_past_due <= bucket.last_day):
            return bucket
    return None
