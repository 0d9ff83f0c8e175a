"""Win/loss analysis (赢单/输单分析): closed deals by reason, stage lost at, owner, competitor and amount band.

Every figure is one grouped query over the deals the viewer may see; nothing is counted in Python.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Case, Count, DecimalField, F, IntegerField, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from crm.core.actors import Actor
from crm.core.clock import day_start
from crm.deals.models import Deal, StageKind
from crm.deals.selectors import visible_deals

# Upper bounds in the deal's currency (CNY for nearly every deal); the last band is open-ended.
AMOUNT_BANDS: list[tuple[Decimal | None, Any]] = [
    (Decimal(100_000), _("under 100K")),
    (Decimal(500_000), _("100K–500K")),
    (Decimal(1_000_000), _("500K–1M")),
    (Decimal(5_000_000), _("1M–5M")),
    (None, _("5M and more")),
]
ZERO = Value(Decimal(0), output_field=DecimalField(max_digits=18, decimal_places=2))


def closed_deals(
    *, viewer: Actor, pipeline_id: int | None, since: dt.date | None, until: dt.date | None
) -> QuerySet[Deal]:
    deals = visible_deals(viewer, Deal.objects.filter(stage__kind__in=[StageKind.WON, StageKind.LOST]))
    if pipeline_id:
        deals = deals.filter(pipeline_id=pipeline_id)
    if since:
        deals = deals.filter(closed_at__gte=day_start(since))
    if until:
        deals = deals.filter(closed_at__lt=day_start(until + dt.timedelta(days=1)))
    return deals


def _outcomes(rows: QuerySet[Deal], *group: str) -> list[dict[str, Any]]:
    """Won and lost counts and amounts per group, largest groups first, with the win rate."""
    won, lost = Q(stage__kind=StageKind.WON), Q(stage__kind=StageKind.LOST)
    result = [
        dict(row)
        for row in rows.values(*group)
        .annotate(
            closed=Count("id"),
            won=Count("id", filter=won),
            lost=Count("id", filter=lost),
            won_amount=Coalesce(Sum("amount", filter=won), ZERO),
            lost_amount=Coalesce(Sum("amount", filter=lost), ZERO),
        )
        .order_by("-closed", *group)[:100]
    ]
    for row in result:
        row["win_rate"] = round(100 * row["won"] / row["closed"]) if row["closed"] else 0
    return result


def win_loss_analysis(
    *, viewer: Actor, pipeline_id: int | None, since: dt.date | None = None, until: dt.date | None = None
) -> dict[str, Any]:
    deals = closed_deals(viewer=viewer, pipeline_id=pipeline_id, since=since, until=until)
    band = Case(
        *[When(amount__lt=limit, then=Value(index)) for index, (limit, _label) in enumerate(AMOUNT_BANDS) if limit],
        default=Value(len(AMOUNT_BANDS) - 1),
        output_field=IntegerField(),
    )
    totals = _outcomes(deals.annotate(everything=Value(1)), "everything")
    by_band = {row["band"]: row for row in _outcomes(deals.annotate(band=band), "band")}
    return {
        "totals": totals[0] if totals else {"won": 0, "lost": 0, "closed": 0, "win_rate": 0},
        "reasons": [
            dict(row)
            for row in deals.values("stage__kind", "close_reason__name")
            .annotate(count=Count("id"), amount=Coalesce(Sum("amount"), ZERO))
            .order_by("stage__kind", "-count", "close_reason__name")[:100]
        ],
        "lost_at": [
            dict(row)
            # The stage each was lost from, kept on the deal by the services (`Deal.lost_from_stage`).
            for row in deals.filter(stage__kind=StageKind.LOST)
            .values(lost_from=F("lost_from_stage__name"))
            .annotate(count=Count("id"), amount=Coalesce(Sum("amount"), ZERO))
            .order_by("-count", "lost_from")[:50]
        ],
        "owners": _outcomes(deals, "owner__full_name"),
        "competitors": [
            dict(row)
            for row in deals.filter(stage__kind=StageKind.LOST)
            .exclude(competitor="")
            .values("competitor")
            .annotate(count=Count("id"), amount=Coalesce(Sum("amount"), ZERO))
            .order_by("-count", "competitor")[:50]
        ],
        "bands": [
            {"label": label, **by_band.get(index, {"won": 0, "lost": 0, "closed": 0, "win_rate": 0})}
            for index, (_limit, label) in enumerate(AMOUNT_BANDS)
        ],
    }
