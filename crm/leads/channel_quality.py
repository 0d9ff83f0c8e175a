"""Channel quality: how many leads each source and campaign brings, and how good they turn out.

Definitions (shown on the report page too):
- qualified rate: leads now qualified or converted, over all leads created in the period;
- conversion rate: converted leads over all leads;
- time to first contact: from creation to the first status change away from "new"
  (`Lead.first_contacted_at`, kept by lead_set_status and lead_convert), over contacted leads;
- time to conversion: from creation to conversion, over converted leads.

Everything is one grouped aggregate query over the leads the viewer may see.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q
from django.db.models.expressions import CombinedExpression

from crm.access.visibility import visible
from crm.core.actors import Actor
from crm.core.clock import day_start
from crm.leads.models import Channel, Lead, LeadStatus

Grouping = Literal["channel", "campaign"]


@dataclass(frozen=True)
class QualityRow:
    key: str
    label: str
    leads: int
    qualified: int
    converted: int
    contacted: int
    avg_first_contact: dt.timedelta | None
    avg_conversion: dt.timedelta | None

    @property
    def qualified_rate(self) -> float:
        return self.qualified / self.leads if self.leads else 0.0

    @property
    def conversion_rate(self) -> float:
        return self.converted / self.leads if self.leads else 0.0


def _duration(start: str, end: str) -> ExpressionWrapper[CombinedExpression]:
    return ExpressionWrapper(F(end) - F(start), output_field=DurationField())


def _as_timedelta(value: object) -> dt.timedelta | None:
    # SQLite hands back an average of durations as microseconds; PostgreSQL as an interval.
    if value is None or isinstance(value, dt.timedelta):
        return value
    return dt.timedelta(microseconds=float(str(value)))


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
            avg_first_contact=Avg(_duration("created_at", "first_contacted_at")),
            avg_conversion=Avg(_duration("created_at", "converted_at")),
        )
        .order_by("-total", by)
    )
    labels = dict(Channel.choices)
    return [
        QualityRow(
            key=row[by],
            label=str(labels.get(row[by], row[by])) if by == "channel" else row[by],
            leads=row["total"],
            qualified=row["qualified"],
            converted=row["converted"],
            contacted=row["contacted"],
            avg_first_contact=_as_timedelta(row["avg_first_contact"]),
            avg_conversion=_as_timedelta(row["avg_conversion"]),
        )
        for row in grouped
    ]
