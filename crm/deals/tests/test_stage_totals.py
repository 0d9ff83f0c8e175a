"""The stages' running totals (the board's column headers) stay equal to the deals they count."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from typing import Any

import pytest
from django.db import OperationalError, connection

from conftest import Org
from crm.core.actors import Actor
from crm.core.errors import DomainError
from crm.customers.tests.factories import a_customer
from crm.deals import selectors
from crm.deals.models import CloseReason, Deal, Pipeline, Stage, StageKind, StageTotals, StageTransition
from crm.deals.selectors import ColumnTotals, DealFilters, board_totals, summed_totals
from crm.deals.services import (
    deal_bulk_change_owner,
    deal_create,
    deal_delete,
    deal_move,
    deal_reopen,
    deal_restore,
    deal_update,
    pipeline_create,
)
from crm.deals.stage_totals import stage_totals_refresh
from crm.deals.tests.factories import a_deal, default_pipeline
from crm.identity.models import User

CENT = Decimal("0.01")


def expected_totals(pipeline: Pipeline) -> dict[int, ColumnTotals]:
    """The column totals worked out in Python from every deal outside the recycle bin."""
    totals: dict[int, ColumnTotals] = {}
    for deal in Deal.objects.filter(pipeline=pipeline):
        column = totals.setdefault(deal.stage_id, ColumnTotals())
        column.count += 1
        column.amount += deal.amount
        column.weighted += deal.amount * deal.probability / 100
    for column in totals.values():
        column.amount = column.amount.quantize(CENT)
        column.weighted = column.weighted.quantize(CENT)
    return totals


def kept_totals(pipeline: Pipeline, viewer: Actor, **filters: Any) -> dict[int, ColumnTotals]:
    """The running totals as the board reads them for `viewer`, empty stages left out."""
    totals = board_totals(viewer=viewer, filters=DealFilters(pipeline_id=pipeline.pk, **filters))
    return {stage_id: column for stage_id, column in totals.items() if column.count}


def summed(pipeline: Pipeline, viewer: Actor, **filters: Any) -> dict[int, ColumnTotals]:
    """The same columns summed from the deals the viewer sees (the narrower boards' way)."""
    return summed_totals(viewer=viewer, filters=DealFilters(pipeline_id=pipeline.pk, **filters))


@pytest.fixture
def director(org: Org) -> Actor:
    return org.actor(org.director)


def _allowed_moves(stage_id: int) -> list[int]:
    return list(StageTransition.objects.filter(from_stage_id=stage_id).values_list("to_stage_id", flat=True))


def _reason(kind: str) -> int:
    return CloseReason.objects.filter(kind=kind).values_list("pk", flat=True).first() or 0


@pytest.mark.django_db
def test_every_service_keeps_the_totals_equal_to_the_deals(org: Org, director: Actor) -> None:
    # given a pipeline of the standard stages and a few customers
    admin = org.actor(org.admin)
    pipeline = pipeline_create(actor=admin, name="续约")
    customers = [a_customer(org.rep_a1) for _ in range(3)]
    owners = [org.rep_a1, org.rep_a2, org.rep_b1]
    rng = random.Random(20261125)  # noqa: S311  (a repeatable sequence, not a secret)
    deals: list[int] = []
    operations: dict[str, int] = {}

    def create() -> None:
        values = {
            "name": f"项目{len(deals)}",
            "amount": f"{rng.randint(0, 5_000_000)}.{rng.randint(0, 99):02d}",
            "customer_id": rng.choice(customers).pk,
            "owner_id": rng.choice(owners).pk,
            "pipeline_id": pipeline.pk,
        }
        if rng.random() < 0.3:
            values["probability"] = rng.randint(0, 100)
        deals.append(deal_create(actor=director, values=values).pk)

    def update(deal: Deal) -> None:
        values: dict[str, Any] = {"amount": f"{rng.randint(0, 900_000)}.{rng.randint(0, 99):02d}"}
        if rng.random() < 0.5:
            values["probability"] = rng.randint(0, 100)
        if rng.random() < 0.3:
            values["owner_id"] = rng.choice(owners).pk
        deal_update(actor=director, deal_id=deal.pk, version=deal.version, values=values)

    def hand_over(deal: Deal) -> None:
        deal_bulk_change_owner(actor=director, deal_ids=[deal.pk], owner_id=rng.choice(owners).pk)

    def move(deal: Deal) -> None:
        targets = _allowed_moves(deal.stage_id)
        if not targets:
            return
        target = Stage.objects.get(pk=rng.choice(targets))
        reason = _reason(target.kind) if target.kind != StageKind.OPEN else None
        deal_move(actor=director, deal_id=deal.pk, version=deal.version, stage_id=target.pk, close_reason_id=reason)

    def reopen(deal: Deal) -> None:
        deal_reopen(actor=director, deal_id=deal.pk, version=deal.version)

    def delete(deal: Deal) -> None:
        deal_delete(actor=director, deal_id=deal.pk)

    def restore(deal: Deal) -> None:
        deal_restore(actor=director, deal_id=deal.pk)

    steps: list[tuple[str, Callable[[Deal], None]]] = [
        ("update", update),
        ("move", move),
        ("move", move),
        ("reopen", reopen),
        ("delete", delete),
        ("restore", restore),
        ("hand_over", hand_over),
    ]
    viewers = [director, org.actor(org.east_a_manager), org.actor(org.rep_a1), org.actor(org.rep_b1)]
    # when two hundred random changes go through the services (refused ones change nothing)
    for _step in range(200):
        if not deals or rng.random() < 0.2:
            create()
            operations["create"] = operations.get("create", 0) + 1
        else:
            deal = Deal.all_objects.get(pk=rng.choice(deals))
            name, step = rng.choice(steps)
            try:
                step(deal)
                operations[name] = operations.get(name, 0) + 1
            except DomainError:
                pass
        # then after each one the kept totals equal the deals summed afresh
        assert kept_totals(pipeline, director) == expected_totals(pipeline)
        # and so do each viewer's board and the boards by owner and by team
        for viewer in viewers:
            assert kept_totals(pipeline, viewer) == summed(pipeline, viewer)
        assert kept_totals(pipeline, director, owner_id=org.rep_a2.pk) == summed(
            pipeline, director, owner_id=org.rep_a2.pk
        )
        assert kept_totals(pipeline, director, team_id=org.rep_b1.team_id) == summed(
            pipeline, director, team_id=org.rep_b1.team_id
        )

    # and every kind of change really happened along the way
    assert set(operations) == {"create", "update", "move", "reopen", "delete", "restore", "hand_over"}
    # and the deals really changed hands and teams
    assert Deal.objects.filter(pipeline=pipeline).values("owner_id").distinct().count() == len(owners)
    # and the aggregate the narrower boards use agrees too
    assert summed_totals(viewer=director, filters=DealFilters(pipeline_id=pipeline.pk)) == expected_totals(pipeline)


@pytest.mark.django_db
def test_refresh_recomputes_totals_for_deals_written_around_the_services(org: Org, director: Actor) -> None:
    # given deals whose stage and amount were changed by SQL, past the services
    pipeline = default_pipeline()
    first, second = a_deal(org.rep_a1, amount="100.10"), a_deal(org.rep_a2, amount="0.05")
    later = Stage.objects.filter(pipeline=pipeline, kind=StageKind.OPEN).order_by("position")[1]
    Deal.objects.filter(pk=first.pk).update(stage=later, amount=Decimal("250.25"), probability=33)
    Deal.objects.filter(pk=second.pk).update(deleted_at=first.created_at)
    assert kept_totals(pipeline, director) != expected_totals(pipeline)

    # when the totals are recomputed
    stages = stage_totals_refresh()

    # then they match the deals again, to the cent of the weighted amount
    assert stages == 1
    assert (
        kept_totals(pipeline, director)
        == expected_totals(pipeline)
        == {later.pk: ColumnTotals(count=1, amount=Decimal("250.25"), weighted=Decimal("82.58"))}
    )


@pytest.mark.django_db
def test_boards_by_scope_owner_or_team_read_the_kept_totals_and_other_filters_sum(
    org: Org, director: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given kept totals that disagree with the deals (written around the services)
    pipeline = default_pipeline()
    deal = a_deal(org.rep_a1, amount="1000.00")
    StageTotals.objects.filter(stage_id=deal.stage_id).update(deal_count=99)
    rep = org.actor(org.rep_a1)

    # then the whole board, the boards by owner and by team, and the rep's own board read the kept row
    assert kept_totals(pipeline, director)[deal.stage_id].count == 99
    assert kept_totals(pipeline, director, owner_id=org.rep_a1.pk)[deal.stage_id].count == 99
    assert kept_totals(pipeline, director, team_id=org.rep_a1.team_id)[deal.stage_id].count == 99
    assert kept_totals(pipeline, rep)[deal.stage_id].count == 99
    # and a viewer or filter whose rows hold none of the deal's totals reads nothing
    assert kept_totals(pipeline, org.actor(org.rep_b1)) == {}
    assert kept_totals(pipeline, director, owner_id=org.rep_a2.pk) == {}
    # and any other filter sums the deals instead
    assert kept_totals(pipeline, director, stage_id=deal.stage_id)[deal.stage_id].count == 1
    assert kept_totals(pipeline, rep, q=deal.name)[deal.stage_id].count == 1
    # and so does a viewer with more deals shared than a condition names
    monkeypatch.setattr(selectors, "SHARED_IN_CONDITION", 0)
    shared = a_deal(org.rep_b1, amount="5.00", collaborator_ids=[org.rep_a1.pk])
    next_request = org.actor(User.objects.get(pk=org.rep_a1.pk))  # shared deals are read once per request
    assert kept_totals(pipeline, next_request)[shared.stage_id].count == 2


@pytest.mark.django_db
def test_deals_shared_with_the_viewer_count_once_on_their_board(org: Org) -> None:
    # given a rep's own deal, a colleague's deal in another team shared with the rep, and a deal of the
    # manager's own team shared with the manager (already in the manager's scope)
    pipeline = default_pipeline()
    own = a_deal(org.rep_a1, amount="100.00")
    a_deal(org.rep_b1, amount="20.00", collaborator_ids=[org.rep_a1.pk])
    a_deal(org.rep_a2, amount="3.00", collaborator_ids=[org.east_a_manager.pk])
    rep, manager = org.actor(org.rep_a1), org.actor(org.east_a_manager)

    # when the rep and the manager open the board
    for viewer in (rep, manager):
        kept = kept_totals(pipeline, viewer)

        # then each column counts every deal they see once, as the deals summed afresh do
        assert kept == summed(pipeline, viewer)
    # and whole amounts weigh exactly (on SQLite, 3 × 10 / 100 once divided as integers, to 0)
    percent = Decimal(own.probability) / 100
    assert kept_totals(pipeline, rep)[own.stage_id] == ColumnTotals(
        count=2, amount=Decimal("120.00"), weighted=(Decimal("120.00") * percent).quantize(CENT)
    )
    assert summed(pipeline, manager)[own.stage_id] == ColumnTotals(
        count=2, amount=Decimal("103.00"), weighted=(Decimal("103.00") * percent).quantize(CENT)
    )
    # and the shared deal outside the rep's scope follows the owner filter too
    assert kept_totals(pipeline, rep, owner_id=org.rep_a1.pk)[own.stage_id].count == 1


def _retrying(work: Callable[[], object]) -> None:
    """The in-memory SQLite test database fails a busy lock at once where a file database or
    PostgreSQL would wait; each service call is one transaction, so trying again is what waiting does."""
    for _attempt in range(500):
        try:
            work()
            return
        except OperationalError as exc:
            if connection.vendor != "sqlite" or "locked" not in str(exc):
                raise
            time.sleep(0.01)


@pytest.mark.django_db(transaction=True)
def test_concurrent_moves_both_ways_keep_the_totals(org: Org) -> None:
    # given deals in two stages of a pipeline, half in each
    actor = org.actor(org.director)
    pipeline = pipeline_create(actor=org.actor(org.admin), name="并发")
    first, second = Stage.objects.filter(pipeline=pipeline, kind=StageKind.OPEN).order_by("position")[:2]
    values = {"customer_id": a_customer(org.rep_a1).pk, "owner_id": org.rep_a1.pk, "pipeline_id": pipeline.pk}
    ids = [deal_create(actor=actor, values={**values, "name": f"项目{n}", "amount": f"{n}.25"}).pk for n in range(8)]
    for deal_id in ids[4:]:
        deal_move(actor=actor, deal_id=deal_id, version=1, stage_id=second.pk)
    barrier = threading.Barrier(4)
    failures: list[str] = []

    def move(deal_id: int, target: Stage) -> None:
        version = Deal.objects.get(pk=deal_id).version
        deal_move(actor=actor, deal_id=deal_id, version=version, stage_id=target.pk)

    def shuttle(deal_ids: list[int], target: Stage) -> None:
        try:
            barrier.wait()
            for deal_id in deal_ids:
                _retrying(partial(move, deal_id, target))
        except (DomainError, OperationalError) as exc:  # a deadlock would land here
            failures.append(repr(exc))
        finally:
            connection.close()

    # when four people move deals both ways between the two stages at once
    threads = [
        threading.Thread(target=shuttle, args=(ids[0:2], second)),
        threading.Thread(target=shuttle, args=(ids[2:4], second)),
        threading.Thread(target=shuttle, args=(ids[4:6], first)),
        threading.Thread(target=shuttle, args=(ids[6:8], first)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # then every move went through and the totals equal the deals
    assert failures == []
    assert sorted(Deal.objects.filter(stage=second).values_list("pk", flat=True)) == ids[0:4]
    assert kept_totals(pipeline, actor) == expected_totals(pipeline)
