"""Keeping `StageTotals` (the board's column headers) equal to the deals they count.

Every service that creates a deal, moves it, changes its amount or probability, or puts it in or takes
it out of the recycle bin calls `stage_totals_change` in its own transaction, with the deal's share
before and after. The deltas are added in SQL, whole cents as integers, so concurrent writers never
overwrite each other's sums; rows are touched in stage order, so two moves in opposite directions
cannot deadlock on PostgreSQL. `stage_totals_refresh` recomputes every row from the deals, for rows
written in bulk around the services (demo and benchmark seeding).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Count, F

from crm.core.money_sql import CentsSum
from crm.deals.models import Deal, StageTotals


@dataclass(frozen=True)
class DealShare:
    """What one deal adds to its stage's totals."""

    stage_id: int
    amount: Decimal
    probability: int

    @classmethod
    def of(cls, deal: Deal) -> DealShare:
        return cls(stage_id=deal.stage_id, amount=Decimal(deal.amount), probability=int(deal.probability))

    @property
    def cents(self) -> int:
        return int((self.amount * 100).to_integral_value())


def stage_totals_change(*, before: DealShare | None, after: DealShare | None) -> None:
    """Take `before` out of its stage's totals and add `after` to its stage's (None: nothing)."""
    deltas: dict[int, list[int]] = {}
    for share, sign in ((before, -1), (after, 1)):
        if share is None:
            continue
        row = deltas.setdefault(share.stage_id, [0, 0, 0])
        row[0] += sign
        row[1] += sign * share.cents
        row[2] += sign * share.cents * share.probability
    for stage_id in sorted(deltas):
        count, cents, weighted = deltas[stage_id]
        if count or cents or weighted:
            _add(stage_id, count, cents, weighted)


def _add(stage_id: int, count: int, cents: int, weighted: int) -> None:
    if _update(stage_id, count, cents, weighted):
        return
    try:
        with transaction.atomic():
            StageTotals.objects.create(
                stage_id=stage_id, deal_count=count, amount_cents=cents, weighted_cent_percent=weighted
            )
    except IntegrityError:
        # Another transaction made the stage's first row a moment ago: add to it instead.
        _update(stage_id, count, cents, weighted)


def _update(stage_id: int, count: int, cents: int, weighted: int) -> int:
    return StageTotals.objects.filter(stage_id=stage_id).update(
        deal_count=F("deal_count") + count,
        amount_cents=F("amount_cents") + Decimal(cents),
        weighted_cent_percent=F("weighted_cent_percent") + Decimal(weighted),
    )


def stage_totals_refresh() -> int:
    """Recompute every stage's totals from the deals; returns the stages that hold deals."""
    rows = (
        Deal.objects.order_by()
        .values("stage_id")
        .annotate(count=Count("*"), cents=CentsSum("amount"), weighted=CentsSum(F("amount") * F("probability")))
    )
    totals = [
        StageTotals(
            stage_id=row["stage_id"],
            deal_count=row["count"],
            amount_cents=row["cents"] or 0,
            weighted_cent_percent=row["weighted"] or 0,
        )
        for row in rows
    ]
    with transaction.atomic():
        StageTotals.objects.all().delete()
        StageTotals.objects.bulk_create(totals)
    return len(totals)
