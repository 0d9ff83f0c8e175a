"""Keeping `StageTotals` (the board's column headers) equal to the deals they count.

Every service that creates a deal, moves it, changes its amount, probability, owner or team, or puts it
in or takes it out of the recycle bin calls `stage_totals_change` in its own transaction, with the
deal's share before and after. The deltas are added in SQL, whole cents as integers, so concurrent
writers never overwrite each other's sums; rows are touched in (stage, owner, team) order, so two moves
in opposite directions cannot deadlock on PostgreSQL. `stage_totals_refresh` recomputes every row from
the deals, for rows written in bulk around the services (demo and benchmark seeding).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Value
from django.db.models.functions import Coalesce

from crm.core.money_sql import CentsSum
from crm.deals.models import Deal, StageTotals


@dataclass(frozen=True)
class DealShare:
    """What one deal adds to the totals of its stage, owner and team."""

    stage_id: int
    owner_id: int
    team_id: int | None
    amount: Decimal
    probability: int

    @classmethod
    def of(cls, deal: Deal) -> DealShare:
        return cls(
            stage_id=deal.stage_id,
            owner_id=deal.owner_id,
            team_id=deal.team_id,
            amount=Decimal(deal.amount),
            probability=int(deal.probability),
        )

    @property
    def key(self) -> Key:
        return (self.stage_id, self.owner_id, self.team_id or 0)

    @property
    def cents(self) -> int:
        return int((self.amount * 100).to_integral_value())


# (stage id, owner id, team id or 0): one row of StageTotals
Key = tuple[int, int, int]


def stage_totals_change(*, before: DealShare | None, after: DealShare | None) -> None:
    """Take `before` out of its row's totals and add `after` to its row's (None: nothing)."""
    deltas: dict[Key, list[int]] = {}
    for share, sign in ((before, -1), (after, 1)):
        if share is None:
            continue
        row = deltas.setdefault(share.key, [0, 0, 0])
        row[0] += sign
        row[1] += sign * share.cents
        row[2] += sign * share.cents * share.probability
    for key in sorted(deltas):
        count, cents, weighted = deltas[key]
        if count or cents or weighted:
            _add(key, count, cents, weighted)


def _add(key: Key, count: int, cents: int, weighted: int) -> None:
    if _update(key, count, cents, weighted):
        return
    stage_id, owner_id, team_id = key
    try:
        with transaction.atomic():
            StageTotals.objects.create(
                stage_id=stage_id,
                owner_id=owner_id,
                team_id=team_id,
                deal_count=count,
                amount_cents=cents,
                weighted_cent_percent=weighted,
            )
    except IntegrityError:
        # Another transaction made the row a moment ago: add to it instead.
        _update(key, count, cents, weighted)


def _update(key: Key, count: int, cents: int, weighted: int) -> int:
    stage_id, owner_id, team_id = key
    return StageTotals.objects.filter(stage_id=stage_id, owner_id=owner_id, team_id=team_id).update(
        deal_count=F("deal_count") + count,
        amount_cents=F("amount_cents") + Decimal(cents),
        weighted_cent_percent=F("weighted_cent_percent") + Decimal(weighted),
    )


def stage_totals_refresh() -> int:
    """Recompute every row of totals from the deals; returns how many rows hold deals."""
    rows = (
        Deal.objects.order_by()
        .values("stage_id", "owner_id", team_key=Coalesce("team_id", Value(0)))
        .annotate(count=Count("*"), cents=CentsSum("amount"), weighted=CentsSum(F("amount") * F("probability")))
    )
    totals = [
        StageTotals(
            stage_id=row["stage_id"],
            owner_id=row["owner_id"],
            team_id=row["team_key"],
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
