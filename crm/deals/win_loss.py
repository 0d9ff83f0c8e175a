"""Win/loss analysis (赢单/输单分析): closed deals by reason, stage lost at, owner, competitor and amount band.

Two grouped queries over the closed deals the viewer may see, each reading the `deal_closed` index alone:
one counts and sums every deal by owner, outcome, reason and amount band, the other the lost deals by the
stage they were lost from (kept on the deal) and the competitor. The tables on the page are roll-ups of
those few thousand groups in Python; a query per table read the same deals five times over (at a million
customers, 200,000 deals closed this year: a second on SQLite).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import BigIntegerField, Case, Count, DecimalField, F, IntegerField, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from crm.core.actors import Actor
from crm.core.clock import day_start
from crm.core.plan_hints import UnaryPlus
from crm.deals.models import CloseReason, Deal, Stage, StageKind
from crm.deals.selectors import visible_deals
from crm.identity.models import User

# Upper bounds in the deal's currency (CNY for nearly every deal); the last band is open-ended.
AMOUNT_BANDS: list[tuple[Decimal | None, Any]] = [
    (Decimal(100_000), _("under 100K")),
    (Decimal(500_000), _("100K–500K")),
    (Decimal(1_000_000), _("500K–1M")),
    (Decimal(5_000_000), _("1M–5M")),
    (None, _("5M and more")),
]
ZERO = Value(Decimal(0), output_field=DecimalField(max_digits=18, decimal_places=2))
OWNER_ROWS, REASON_ROWS, LOST_AT_ROWS, COMPETITOR_ROWS = 100, 100, 50, 50


def default_period(today: dt.date) -> tuple[dt.date, dt.date]:
    """This year so far: the page's and the API's period when none is chosen (every deal ever closed is
    rarely the question, and at half a million deals it costs a second more)."""
    return today.replace(month=1, day=1), today


def _stages(*kinds: str) -> Any:  # the ids of these stages, as a subquery
    return Stage.objects.filter(kind__in=kinds).values("pk")


def closed_deals(
    *, viewer: Actor, pipeline_id: int | None, since: dt.date | None, until: dt.date | None
) -> QuerySet[Deal]:
    """The won and lost deals `viewer` may see, closed in the period.

    Won and lost are told apart by the deal's stage id (`stage_key`, in the won or lost stages of any
    pipeline), not by joining the stage table: SQLite would start from the few lost stages and fetch every
    deal ever lost in them instead of reading the period's deals from the index.
    """
    stage_key = UnaryPlus(F("stage_id"), output_field=BigIntegerField())  # a check, not an index to start from
    closed = Deal.objects.alias(stage_key=stage_key).filter(stage_key__in=_stages(StageKind.WON, StageKind.LOST))
    deals = visible_deals(viewer, closed)
    if pipeline_id:
        # Checked in the index like the stage, not looked up by: SQLite would start from a pipeline index
        # and fetch every deal of the pipeline.
        pipeline_key = UnaryPlus(F("pipeline_id"), output_field=BigIntegerField())
        deals = deals.alias(pipeline_key=pipeline_key).filter(pipeline_key=pipeline_id)
    if since:
        deals = deals.filter(closed_at__gte=day_start(since))
    if until:
        deals = deals.filter(closed_at__lt=day_start(until + dt.timedelta(days=1)))
    return deals


@dataclass
class _Tally:
    won: int = 0
    lost: int = 0
    won_amount: Decimal = Decimal(0)
    lost_amount: Decimal = Decimal(0)

    def add(self, kind: str, count: int, amount: Decimal) -> None:
        if kind == StageKind.WON:
            self.won, self.won_amount = self.won + count, self.won_amount + amount
        else:
            self.lost, self.lost_amount = self.lost + count, self.lost_amount + amount

    def row(self) -> dict[str, Any]:
        closed = self.won + self.lost
        return {
            "closed": closed,
            "won": self.won,
            "lost": self.lost,
            "won_amount": self.won_amount,
            "lost_amount": self.lost_amount,
            "win_rate": round(100 * self.won / closed) if closed else 0,
        }


def _tally[K: Hashable](groups: Iterable[dict[str, Any]], key: Callable[[dict[str, Any]], K]) -> dict[K, _Tally]:
    tallies: dict[K, _Tally] = {}
    for group in groups:
        tallies.setdefault(key(group), _Tally()).add(group["kind"], group["count"], group["amount"])
    return tallies


def _counted[K: Hashable](groups: Iterable[dict[str, Any]], key: Callable[[dict[str, Any]], K]) -> dict[K, list[Any]]:
    """Count and amount per key: {key: [count, amount]}."""
    sums: dict[K, list[Any]] = {}
    for group in groups:
        found = sums.setdefault(key(group), [0, Decimal(0)])
        found[0] += group["count"]
        found[1] += group["amount"]
    return sums


def win_loss_analysis(
    *, viewer: Actor, pipeline_id: int | None, since: dt.date | None = None, until: dt.date | None = None
) -> dict[str, Any]:
    deals = closed_deals(viewer=viewer, pipeline_id=pipeline_id, since=since, until=until)
    band = Case(
        *[When(amount__lt=limit, then=Value(index)) for index, (limit, _label) in enumerate(AMOUNT_BANDS) if limit],
        default=Value(len(AMOUNT_BANDS) - 1),
        output_field=IntegerField(),
    )
    kind = Case(
        When(Q(stage_key__in=_stages(StageKind.WON)), then=Value(StageKind.WON.value)),
        default=Value(StageKind.LOST.value),
    )
    groups: list[dict[str, Any]] = [
        dict(group)
        for group in deals.annotate(kind=kind, band=band)
        .values("owner_id", "close_reason_id", "kind", "band")
        .annotate(count=Count("id"), amount=Coalesce(Sum("amount"), ZERO))
        .order_by()
    ]
    lost_groups: list[dict[str, Any]] = [
        dict(group)
        for group in deals.filter(Q(stage_key__in=_stages(StageKind.LOST)))
        .values("lost_from_stage_id", "competitor")
        .annotate(count=Count("id"), amount=Coalesce(Sum("amount"), ZERO))
        .order_by()
    ]
    owner_names = dict(User.objects.filter(pk__in={g["owner_id"] for g in groups}).values_list("pk", "full_name"))
    reason_names = dict(
        CloseReason.objects.filter(pk__in={g["close_reason_id"] for g in groups}).values_list("pk", "name")
    )
    stage_names = dict(
        Stage.objects.filter(pk__in={g["lost_from_stage_id"] for g in lost_groups}).values_list("pk", "name")
    )

    total = _tally(groups, lambda g: None).get(None, _Tally())
    by_band = _tally(groups, lambda g: g["band"])
    # Owners and stages by name, as people read them (two stages of one name in two pipelines are one row).
    owners = [
        {"owner__full_name": name, **tally.row()}
        for name, tally in _tally(groups, lambda g: owner_names.get(g["owner_id"], "")).items()
    ]
    reasons = [
        {"stage__kind": kind_, "close_reason__name": name, "count": count, "amount": amount}
        for (kind_, name), (count, amount) in _counted(
            groups, lambda g: (g["kind"], reason_names.get(g["close_reason_id"]))
        ).items()
    ]
    lost_at = [
        {"lost_from": name, "count": count, "amount": amount}
        for name, (count, amount) in _counted(lost_groups, lambda g: stage_names.get(g["lost_from_stage_id"])).items()
    ]
    competitors = [
        {"competitor": name, "count": count, "amount": amount}
        for name, (count, amount) in _counted(
            (g for g in lost_groups if g["competitor"]), lambda g: g["competitor"]
        ).items()
    ]
    return {
        "totals": total.row(),
        "reasons": sorted(reasons, key=lambda r: (r["stage__kind"], -r["count"], r["close_reason__name"] or ""))[
            :REASON_ROWS
        ],
        "lost_at": sorted(lost_at, key=lambda r: (-r["count"], r["lost_from"] or ""))[:LOST_AT_ROWS],
        "owners": sorted(owners, key=lambda r: (-r["closed"], r["owner__full_name"]))[:OWNER_ROWS],
        "competitors": sorted(competitors, key=lambda r: (-r["count"], r["competitor"]))[:COMPETITOR_ROWS],
        "bands": [
            {"label": label, **by_band.get(index, _Tally()).row()} for index, (_limit, label) in enumerate(AMOUNT_BANDS)
        ],
    }
