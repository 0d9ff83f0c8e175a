"""Channel quality: how many leads each source and campaign brings, and how good they turn out.

Definitions (shown on the report page too):
- qualified rate: leads now qualified or converted, over all leads created in the period;
- conversion rate: converted leads over all leads;
- time to first contact: from creation to the first follow-up or status change away from "new"
  (`Lead.first_contacted_at`, kept by lead_follow_up_create, lead_set_status and lead_convert),
  the median over contacted leads;
- time to conversion: from creation to conversion, the median over converted leads.

Medians, not averages: one lead left untouched for months would drag an average far from what
a typical lead sees. Counts and medians are one grouped aggregate query over the leads the viewer
may see (crm.core.medians), reading the `lead_channel_quality` index alone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from django.db.models import CharField, Count, F, Q

from crm.access.visibility import visible
from crm.core.actors import Actor
from crm.core.clock import day_start
from crm.core.durations import SecondsBetween
from crm.core.medians import Median
from crm.core.plan_hints import UnaryPlus
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


def _group(by: Grouping) -> UnaryPlus:
    """The grouping column as a value, not an index: grouped by the channel's own index, SQLite would
    read every lead of the period from the table instead of the `lead_channel_quality` index alone."""
    return UnaryPlus(F(by), output_field=CharField())


def _to_the_millisecond(seconds: float | None) -> dt.timedelta | None:
    # To the millisecond: SQLite's julianday arithmetic is exact only to some microseconds.
    return None if seconds is None else dt.timedelta(seconds=round(seconds, 3))


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
        .values(key=_group(by))
        .annotate(
            total=Count("id"),
            qualified=Count("id", filter=Q(status__in=won)),
            converted=Count("id", filter=Q(status=LeadStatus.CONVERTED)),
            contacted=Count("id", filter=Q(first_contacted_at__isnull=False)),
            # Only the leads with the time: on SQLite each value passed is a call into Python.
            median_first_contact=Median(
                SecondsBetween("created_at", "first_contacted_at"), filter=Q(first_contacted_at__isnull=False)
            ),
            median_conversion=Median(
                SecondsBetween("created_at", "converted_at"), filter=Q(converted_at__isnull=False)
            ),
        )
        .order_by("-total", "key")
    )
    rows = list(grouped)
    labels = dict(Channel.choices)
    return [
        QualityRow(
            key=row["key"],
            label=str(labels.get(row["key"], row["key"])) if by == "channel" else row["key"],
            leads=row["total"],
            qualified=row["qualified"],
            converted=row["converted"],
            contacted=row["contacted"],
            median_first_contact=_to_the_millisecond(row["median_first_contact"]),
            median_conversion=_to_the_millisecond(row["median_conversion"]),
        )
        for row in rows
    ]
