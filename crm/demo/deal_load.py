"""Bulk load of demo deals in the default pipeline, each with the stage history of its path.

Open deals sit in one of the open stages (fewer the further along), won deals went through every
open stage, lost deals dropped out after a few; stage, furthest stage reached, probability, close
time, close reason and the history all follow the pipeline's own stages, as `deal_move` would have
written them. The won deals are remembered for the contracts that follow.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from array import array
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from crm.deals.models import CloseReason, Deal, Pipeline, Stage, StageChange, StageKind
from crm.demo import naming
from crm.demo.customer_load import DAY, THREE_YEARS, Population
from crm.demo.deals import COMPETITORS, PRODUCTS
from crm.demo.inserting import Inserter, batches, duration_value, money_value, utc_datetime_value
from crm.demo.progress import Progress
from crm.identity.models import User

# How many of the open deals sit in each open stage, first stage first.
OPEN_SPREAD = [35, 30, 20, 15]
SMALLEST, LARGEST = math.log(20_000), math.log(3_000_000)
OPEN, WON, LOST = "open", "won", "lost"


@dataclass
class WonDeals:
    """The won deals just loaded, for their contracts: by position, as parallel arrays."""

    ids: array[int] = field(default_factory=lambda: array("q"))
    customers: array[int] = field(default_factory=lambda: array("q"))  # customer index
    amounts: array[int] = field(default_factory=lambda: array("q"))  # cents
    closed_ago: array[int] = field(default_factory=lambda: array("q"))  # seconds before `now`
    products: array[int] = field(default_factory=lambda: array("B"))  # index into PRODUCTS


def default_pipeline() -> tuple[Pipeline, list[Stage]]:
    pipeline = Pipeline.objects.filter(is_active=True).order_by("-is_default", "position", "id").first()
    if pipeline is None:
        raise LookupError("The demo needs the default pipeline the migrations create.")
    return pipeline, list(Stage.objects.filter(pipeline=pipeline).order_by("position"))


def load_deals(rng: random.Random, *, outcomes: dict[str, int], population: Population, progress: Progress) -> WonDeals:
    """Insert `outcomes[kind]` open, won and lost deals with their stage changes, interleaved."""
    pipeline, stages = default_pipeline()
    open_stages = [stage for stage in stages if stage.kind == StageKind.OPEN]
    won_stage = next(stage for stage in stages if stage.kind == StageKind.WON)
    lost_stage = next(stage for stage in stages if stage.kind == StageKind.LOST)
    reasons = {
        kind: [reason.pk for reason in CloseReason.objects.filter(kind=kind, is_active=True)] for kind in (WON, LOST)
    }
    names = {user.pk: str(user) for user in User.objects.filter(pk__in={owner for owner, _team in population.owners})}
    now, at, money, duration = population.now, utc_datetime_value(), money_value(), duration_value()
    today = timezone.localdate(now.replace(tzinfo=dt.UTC))
    deal_rows = Inserter(
        Deal,
        [
            "name", "customer_id", "pipeline_id", "stage_id", "amount", "budget", "expected_close_on", "probability",
            "stage_entered_at", "closed_at", "close_reason_id", "competitor", "owner_id", "team_id", "created_at",
            "updated_at", "search_text", "furthest_stage_id", "lost_from_stage_id",
        ],
    )  # fmt: skip
    change_rows = Inserter(
        StageChange,
        [
            "deal_id", "from_stage_id", "to_stage_id", "moved_at", "moved_by_id", "actor_name", "time_in_from_stage",
            "deal_created_at",
        ],
    )  # fmt: skip
    won = WonDeals()
    kinds = [OPEN] * outcomes[OPEN] + [WON] * outcomes[WON] + [LOST] * outcomes[LOST]
    rng.shuffle(kinds)
    progress.begin("deals", len(kinds))
    product_names = [naming.pinyin(f"{product}项目") for product in PRODUCTS]
    for batch in batches(len(kinds)):
        values: list[tuple[Any, ...]] = []
        paths: list[tuple[int, list[tuple[Stage, int]]]] = []  # (owner id, [(stage, seconds ago entered)])
        won_at: list[int] = []
        for number in batch:
            kind = kinds[number]
            customer = rng.randrange(population.count)
            owner_id, team_id = population.owner(customer)
            if kind == OPEN:
                current = rng.choices(range(len(open_stages)), OPEN_SPREAD)[0]
                path = open_stages[: current + 1]
                entered_ago = rng.randrange(120 * DAY)
            elif kind == WON:
                path = [*open_stages, won_stage]
                entered_ago = rng.randrange(10 * DAY, THREE_YEARS)
            else:
                path = [*open_stages[: rng.randrange(1, len(open_stages) + 1)], lost_stage]
                entered_ago = rng.randrange(THREE_YEARS)
            # Backwards from the current stage: each earlier stage lasted 2-25 days.
            moments = [entered_ago]
            for _stage in path[:-1]:
                moments.append(moments[-1] + rng.randrange(2 * DAY, 25 * DAY))
            moments.reverse()
            # A deal is never older than its customer: squeeze its history into the customer's life.
            if moments[0] > population.created_ago[customer]:
                scale = population.created_ago[customer] / moments[0]
                moments = [int(moment * scale) for moment in moments]
            stage = path[-1]
            # What the services keep: the furthest open or won stage of the path (paths run in stage order).
            furthest = max((step for step in path if step.kind != StageKind.LOST), key=lambda step: step.position)
            product = rng.randrange(len(PRODUCTS))
            amount = round(math.exp(rng.uniform(SMALLEST, LARGEST)) / 1000) * 100_000  # whole thousands, in cents
            entered = now - dt.timedelta(seconds=moments[-1])
            closed = kind != OPEN
            name = f"{PRODUCTS[product]}项目"
            customer_name, customer_full, customer_initials = population.name(customer)
            expected = entered.date() if closed else today + dt.timedelta(days=rng.randrange(-30, 150))
            values.append(
                (
                    name, population.customer_ids[customer], pipeline.pk, stage.pk, money(amount),
                    money(amount * 11 // 10) if stage.position >= 1 else None, expected, stage.probability,
                    at(entered), at(entered) if closed else None,
                    rng.choice(reasons[kind]) if closed and reasons[kind] else None,
                    rng.choice(COMPETITORS) if kind == LOST else "", owner_id, team_id,
                    at(now - dt.timedelta(seconds=moments[0])), at(entered),
                    naming.search_text(
                        [(name, *product_names[product]), (customer_name, customer_full, customer_initials)], [], []
                    ),
                    furthest.pk, path[-2].pk if kind == LOST else None,
                )
            )  # fmt: skip
            paths.append((owner_id, list(zip(path, moments, strict=True))))
            if kind == WON:
                won.customers.append(customer)
                won.amounts.append(amount)
                won.closed_ago.append(moments[-1])
                won.products.append(product)
                won_at.append(len(values) - 1)
        with transaction.atomic():
            ids = deal_rows.insert_returning_ids(values)
            changes: list[tuple[Any, ...]] = []
            for deal_id, (owner_id, steps) in zip(ids, paths, strict=True):
                previous: tuple[Stage, int] | None = None
                created = at(now - dt.timedelta(seconds=steps[0][1]))  # the deal's created_at, as inserted above
                for stage, ago in steps:
                    changes.append(
                        (
                            deal_id, previous[0].pk if previous else None, stage.pk,
                            at(now - dt.timedelta(seconds=ago)), owner_id, names[owner_id],
                            duration(dt.timedelta(seconds=previous[1] - ago)) if previous else None, created,
                        )
                    )  # fmt: skip
                    previous = (stage, ago)
            change_rows.insert(changes)
        won.ids.extend(ids[position] for position in won_at)
        progress.advance("deals", len(batch))
    return won
