"""Channel quality: how many leads each source and campaign brings, and how good they turn out.

Definitions (shown on the report page too):
- qualified rate: leads now qualified or converted, over all leads created in the period;
- conversion rate: converted leads over all leads;
- time to first contact: from creation to the first follow-up or status change away from "new"
  (`Lead.first_contacted_at`, kept by lead_follow_up_create, lead_set_status and lead_convert),
  the median over contacted leads;
- time to conversion: from creation to conversion, the median over converted leads.

Medians, not averages: one lead left untouched for months would drag an average far from what
a typical lead sees. The counts are one grouped aggregate query over the leads the viewer may
see. PostgreSQL works the medians out in that same query (its ordered-set `percentile_cont`);
SQLite has no median aggregate, so there each median is one more query: window functions number
each group's durations in order, and only the one or two middle rows per group come back. Every
query reads the `lead_channel_quality` index alone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from django.db import connection
from django.db.models import Aggregate, Count, F, FloatField, Q, QuerySet, Window
from django.db.models.functions import RowNumber

from crm.access.visibility import visible
from crm.core.actors import Actor
from crm.core.clock import day_start
from crm.core.durations import SecondsBetween
from crm.leads.models import Channel, Lead, LeadStatus

Grouping = Literal["channel", "campaign"]
# The period shown when none is chosen: every lead ever made is rarely the question, and at a
# million leads the medians over all of them take seconds.
DEFAULT_DAYS = 90


def default_period(today: dt.date) -> tuple[dt.date, dt.date]:
    """The last DEFAULT_DAYS days, today included."""
    return today - dt.timedelta(days=DEFAULT_DAYS - 1), today


@dataclass(frozen=True)
class QualityRow:
    key: str
    label: str
    leads: int
    qualified: int
    converted: int
    contacted: int
    median_first_contact: dt.timedelta | None
    median_conversion: dt.timedelta | None

    @property
    def qualified_rate(self) -> float:
        return self.qualified / self.leads if self.leads else 0.0

    @property
    def conversion_rate(self) -> float:
        return self.converted / self.leads if self.leads else 0.0


class Median(Aggregate):
    """The median of the non-NULL values, the mean of the middle two for an even count (PostgreSQL only)."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


def _to_the_millisecond(seconds: float | None) -> dt.timedelta | None:
    # To the millisecond: SQLite's julianday arithmetic is exact only to some microseconds.
    return None if seconds is None else dt.timedelta(seconds=round(seconds, 3))


def _medians(leads: QuerySet[Lead], by: Grouping, start: str, end: str) -> dict[str, dt.timedelta]:
    """The median of `end - start` per group, over the leads where `end` is set.

    Rows are numbered 1…n within each group in duration order; the middle one (n odd) or two
    (n even) have (n + 1) div 2 <= number <= n div 2 + 1, and their mean is the median.
    """
    duration = SecondsBetween(start, end)
    middle = (
        leads.filter(**{f"{end}__isnull": False})
        .order_by()
        .annotate(
            duration=duration,
            number=Window(RowNumber(), partition_by=[F(by)], order_by=[duration.asc(), F("id").asc()]),
            size=Window(Count("id"), partition_by=[F(by)]),
        )
        .filter(number__gte=(F("size") + 1) / 2, number__lte=F("size") / 2 + 1)
        .values_list(by, "duration")
    )
    middles: dict[str, list[float]] = {}
    for key, value in middle:
        middles.setdefault(key, []).append(value)
    return {key: dt.timedelta(seconds=round(sum(values) / len(values), 3)) for key, values in middles.items()}


def channel_quality(
    *, viewer: Actor, by: Grouping, created_from: dt.date | None = None, created_to: dt.date | None = None
) -> list[QualityRow]:
    """One row per channel (or campaign) with leads created in the period, most leads first."""
    leads = visible(viewer, Lead.objects.all())
    if created_from:
        leads = leads.filter(created_at__gte=day_start(created_from))
    if created_to:
        leads = leads.filter(created_at__lt=day_start(created_to + dt.timedelta(days=1)))
    if by == "campaign":
        leads = leads.exclude(campaign="")
    won = [LeadStatus.QUALIFIED, LeadStatus.CONVERTED]
    grouped = (
        leads.order_by()
        .values(by)
        .annotate(
            total=Count("id"),
            qualified=Count("id", filter=Q(status__in=won)),
            converted=Count("id", filter=Q(status=LeadStatus.CONVERTED)),
            contacted=Count("id", filter=Q(first_contacted_at__isnull=False)),
        )
        .order_by("-total", by)
    )
    if connection.vendor == "postgresql":
        grouped = grouped.annotate(
            median_first_contact=Median(SecondsBetween("created_at", "first_contacted_at")),
            median_conversion=Median(SecondsBetween("created_at", "converted_at")),
        )
        rows = list(grouped)
        first_contact = {row[by]: _to_the_millisecond(row["median_first_contact"]) for row in rows}
        conversion = {row[by]: _to_the_millisecond(row["median_conversion"]) for row in rows}
    else:
        rows = list(grouped)
        first_contact = _medians(leads, by, "created_at", "first_contacted_at")
        conversion = _medians(leads, by, "created_at", "converted_at")
    labels = dict(Channel.choices)
    return [
        QualityRow(
            key=row[by],
            label=str(labels.get(row[by], row[by])) if by == "channel" else row[by],
            leads=row["total"],
            qualified=row["qualified"],
            converted=row["converted"],
            contacted=row["contacted"],
            median_first_contact=first_contact.get(row[by]),
            median_conversion=conversion.get(row[by]),
        )
        for row in rows
    ]
