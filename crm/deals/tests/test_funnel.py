"""The sales funnel: exact figures on a small hand-built pipeline, visibility, filters, bad input, query
counts, and the furthest stage every service and the migration keep on the deal."""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.apps import apps
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from conftest import Org
from crm.core.actors import system_actor, web_actor
from crm.core.errors import ValidationFailed
from crm.customers.tests.factories import a_customer
from crm.deals.funnel import Funnel, FunnelFilters, cohort_moves, funnel_by_stage, funnel_cohort
from crm.deals.models import CloseReason, Deal, Pipeline, Stage, StageChange, StageKind
from crm.deals.services import (
    deal_close_lost,
    deal_close_won,
    deal_create,
    deal_delete,
    deal_move,
    deal_reopen,
    pipeline_create,
    transitions_set,
)
from crm.deals.tests.factories import a_deal
from crm.identity.models import User

pytestmark = pytest.mark.django_db

SYSTEM = system_actor("test")
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
MARCH = {"created_from": dt.date(2026, 3, 1), "created_to": dt.date(2026, 3, 31)}


@dataclass
class Built:
    pipeline: Pipeline
    stages: dict[str, Stage]
    deals: dict[str, Deal]


def _pipeline() -> tuple[Pipeline, dict[str, Stage]]:
    """初步接洽 → 方案演示 → 商务谈判 → 赢单, with 输单; every move allowed, no entry requirements."""
    pipeline = Pipeline.objects.create(name="渠道业务", position=5)
    names = [("初步接洽", StageKind.OPEN), ("方案演示", StageKind.OPEN), ("商务谈判", StageKind.OPEN)]
    names += [("赢单", StageKind.WON), ("输单", StageKind.LOST)]
    stages = {
        name: Stage.objects.create(pipeline=pipeline, name=name, kind=kind, position=position, expected_days=30)
        for position, (name, kind) in enumerate(names)
    }
    moves = {
        (source.pk, target.pk)
        for source in stages.values()
        for target in stages.values()
        if source.kind == StageKind.OPEN and source != target
    }
    transitions_set(actor=SYSTEM, pipeline_id=pipeline.pk, moves=moves)
    return pipeline, stages


def _move(deal: Deal, stage: Stage) -> Deal:
    current = Deal.objects.get(pk=deal.pk)
    kind = stage.kind
    reason = CloseReason.objects.filter(kind=kind).first() if kind != StageKind.OPEN else None
    return deal_move(
        actor=SYSTEM,
        deal_id=deal.pk,
        version=current.version,
        stage_id=stage.pk,
        close_reason_id=reason.pk if reason else None,
    )


def _reopen(deal: Deal) -> Deal:
    return deal_reopen(actor=SYSTEM, deal_id=deal.pk, version=Deal.objects.get(pk=deal.pk).version)


@pytest.fixture
def built(org: Org) -> Iterator[Built]:
    """Six deals created on 2 March 2026, moved over twelve days (time in each stage noted per move).

    skip:     初步接洽 (2d) → 商务谈判                                         furthest 商务谈判
    lost:     初步接洽 (2d) → 方案演示 (3d) → 输单                             furthest 方案演示
    won:      初步接洽 (4d) → 方案演示 (3d) → 商务谈判 (3d) → 赢单            furthest 赢单
    reopened: 初步接洽 (4d) → 商务谈判 (6d) → 赢单 (1d) → reopened in 商务谈判 (1d) → 方案演示   furthest 赢单
    revived:  初步接洽 (4d) → 输单, reopened in 初步接洽 (2d) → 方案演示       furthest 方案演示
    new:      初步接洽                                                         furthest 初步接洽
    """
    pipeline, stages = _pipeline()
    b, c, won, lost = (stages[name] for name in ("方案演示", "商务谈判", "赢单", "输单"))
    owners = {"new": org.rep_a1, "skip": org.rep_a1, "lost": org.rep_a1, "won": org.rep_a2}
    owners |= {"reopened": org.rep_b1, "revived": org.rep_n1}
    amounts = {"new": 100, "skip": 200, "lost": 300, "won": 400, "reopened": 500, "revived": 600}
    with time_machine.travel(START, tick=False) as clock:
        deals = {
            key: a_deal(owner, name=f"{key}项目", pipeline_id=pipeline.pk, amount=str(amounts[key] * 1000))
            for key, owner in owners.items()
        }
        clock.shift(dt.timedelta(days=2))
        _move(deals["skip"], c)
        _move(deals["lost"], b)
        clock.shift(dt.timedelta(days=2))
        _move(deals["won"], b)
        _move(deals["reopened"], c)
        _move(deals["revived"], lost)
        clock.shift(dt.timedelta(days=1))
        _move(deals["lost"], lost)
        _reopen(deals["revived"])
        clock.shift(dt.timedelta(days=2))
        _move(deals["won"], c)
        _move(deals["revived"], b)
        clock.shift(dt.timedelta(days=3))
        _move(deals["won"], won)
        _move(deals["reopened"], won)
        clock.shift(dt.timedelta(days=1))
        _reopen(deals["reopened"])
        clock.shift(dt.timedelta(days=1))
        _move(deals["reopened"], b)
        yield Built(pipeline, stages, {key: Deal.objects.get(pk=deal.pk) for key, deal in deals.items()})


def figures(funnel: Funnel) -> list[tuple[str, int, Decimal, float | None, float | None, float | None, int]]:
    return [
        (
            step.stage.name,
            step.reached,
            step.reached_amount,
            None if step.from_previous is None else round(step.from_previous, 4),
            None if step.from_first is None else round(step.from_first, 4),
            step.average_days,
            step.timed_moves,
        )
        for step in funnel.steps
    ]


def _funnel(viewer: User, built: Built, **filters: Any) -> Funnel:
    return funnel_by_stage(
        viewer=web_actor(viewer), filters=FunnelFilters(pipeline_id=built.pipeline.pk, **{**MARCH, **filters})
    )


# Figures -----------------------------------------------------------------------------------------


def test_each_stage_counts_the_deals_that_reached_it_or_a_later_one(org: Org, built: Built) -> None:
    # given the six deals of the hand-built pipeline
    # when the director reads the funnel of March
    funnel = _funnel(org.director, built)

    # then skipped stages count as passed, lost deals count up to where they got, reopened deals keep
    # the furthest stage, and each average is over the moves out of the stage
    assert figures(funnel) == [
        ("初步接洽", 6, Decimal("2100000.00"), None, 1.0, 3.0, 6),
        ("方案演示", 5, Decimal("2000000.00"), 0.8333, 0.8333, 3.0, 2),
        ("商务谈判", 3, Decimal("1100000.00"), 0.6, 0.5, 3.3, 3),
        ("赢单", 2, Decimal("900000.00"), 0.6667, 0.3333, 1.0, 1),
    ]
    assert (funnel.deals, funnel.won, funnel.created_from, funnel.created_to) == (
        6,
        2,
        dt.date(2026, 3, 1),
        dt.date(2026, 3, 31),
    )


def test_the_period_is_the_creation_date_and_deleted_deals_are_left_out(org: Org, built: Built) -> None:
    # given one deal created in February and one deal in the recycle bin
    Deal.objects.filter(pk=built.deals["new"].pk).update(created_at=dt.datetime(2026, 2, 28, 15, 59, tzinfo=dt.UTC))
    deal_delete(actor=SYSTEM, deal_id=built.deals["skip"].pk)

    # when the funnel of March is read
    funnel = _funnel(org.director, built)

    # then neither is counted (15:59 UTC on 28 February is still February in Shanghai)
    assert [(step.stage.name, step.reached) for step in funnel.steps] == [
        ("初步接洽", 4),
        ("方案演示", 4),
        ("商务谈判", 2),
        ("赢单", 2),
    ]
    assert [step.reached for step in _funnel(org.director, built, created_from=dt.date(2026, 2, 28)).steps] == [
        5,
        4,
        2,
        2,
    ]


def test_an_empty_period_has_every_step_at_zero_and_no_rates(org: Org, built: Built) -> None:
    funnel = _funnel(org.director, built, created_from=dt.date(2025, 1, 1), created_to=dt.date(2025, 12, 31))
    assert figures(funnel) == [
        ("初步接洽", 0, Decimal("0.00"), None, None, None, 0),
        ("方案演示", 0, Decimal("0.00"), None, None, None, 0),
        ("商务谈判", 0, Decimal("0.00"), None, None, None, 0),
        ("赢单", 0, Decimal("0.00"), None, None, None, 0),
    ]
    assert funnel.win_rate is None


def test_the_period_defaults_to_this_year_and_the_pipeline_to_the_default_one(org: Org, built: Built) -> None:
    # given a day in April 2026
    with time_machine.travel(dt.datetime(2026, 4, 10, 3, tzinfo=dt.UTC), tick=False):
        # when the funnel is read without filters
        funnel = funnel_by_stage(viewer=web_actor(org.director), filters=FunnelFilters())

    # then it covers 1 January to today of the default pipeline
    assert (funnel.pipeline.is_default, funnel.created_from, funnel.created_to) == (
        True,
        dt.date(2026, 1, 1),
        dt.date(2026, 4, 10),
    )
    assert [step.stage.name for step in funnel.steps] == ["初步沟通", "需求确认", "方案报价", "合同谈判", "签约"]


# Visibility and filters --------------------------------------------------------------------------


def test_a_rep_sees_only_their_own_deals(org: Org, built: Built) -> None:
    # given rep_a1 owns the new, skip and lost deals
    # when rep_a1 reads the funnel
    funnel = _funnel(org.rep_a1, built)

    # then only those count
    assert [(step.reached, step.reached_amount) for step in funnel.steps] == [
        (3, Decimal("600000.00")),
        (2, Decimal("500000.00")),
        (1, Decimal("200000.00")),
        (0, Decimal("0.00")),
    ]
    # and only their moves make the averages
    assert [(step.average_days, step.timed_moves) for step in funnel.steps] == [
        (2.0, 2),
        (3.0, 1),
        (None, 0),
        (None, 0),
    ]


def test_the_owner_filter_keeps_one_owners_deals(org: Org, built: Built) -> None:
    funnel = _funnel(org.director, built, owner_id=org.rep_b1.pk)
    assert [step.reached for step in funnel.steps] == [1, 1, 1, 1]


def test_the_team_filter_keeps_the_team_and_its_sub_teams(org: Org, built: Built) -> None:
    # given the east department holds teams east_a (rep_a1, rep_a2) and east_b (rep_b1); rep_n1 is in the north
    # when the director filters by the east department, then by east_b alone
    east = _funnel(org.director, built, team_id=org.east.pk)
    east_b = _funnel(org.director, built, team_id=org.east_b.pk)

    # then the revived deal of the north is left out, and east_b has only the reopened deal
    assert [step.reached for step in east.steps] == [5, 4, 3, 2]
    assert [step.reached for step in east_b.steps] == [1, 1, 1, 1]


def test_bad_filters_are_refused_naming_the_field(org: Org, built: Built) -> None:
    viewer = web_actor(org.director)
    with pytest.raises(ValidationFailed) as unknown:
        funnel_by_stage(viewer=viewer, filters=FunnelFilters(pipeline_id=999_999))
    with pytest.raises(ValidationFailed) as backwards:
        funnel_by_stage(
            viewer=viewer, filters=FunnelFilters(created_from=dt.date(2026, 3, 31), created_to=dt.date(2026, 3, 1))
        )
    assert [(e.field, e.message) for e in unknown.value.errors] == [("pipeline_id", "请从列表中选择销售流程。")]
    assert [(e.field, e.message) for e in backwards.value.errors] == [("created_to", "结束日期不能早于开始日期。")]


# The page and the API ----------------------------------------------------------------------------


def _query(built: Built, **extra: Any) -> str:
    params = {"pipeline": built.pipeline.pk, "created_from": "2026-03-01", "created_to": "2026-03-31", **extra}
    return "&".join(f"{key}={value}" for key, value in params.items())


def test_the_page_shows_the_funnel_with_a_fixed_number_of_queries(
    org: Org, built: Built, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    # given the director signed in
    client = Client()
    client.force_login(org.director)
    client.get(f"/deals/funnel/?{_query(built)}")

    # when the page is requested
    with django_assert_num_queries(9):
        response = client.get(f"/deals/funnel/?{_query(built)}")

    # then it shows every step with its figures, the bars and the definitions
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="funnel-table"' in body
    assert 'data-testid="funnel-bars"' in body
    assert 'data-testid="funnel-definitions"' in body
    assert "商务谈判" in body
    assert "83.3%" in body
    assert "1,100,000.00" in body

    # and twenty more deals cost no more queries
    for number in range(20):
        a_deal(org.rep_a2, customer=a_customer(org.rep_a2), name=f"追加项目{number}", pipeline_id=built.pipeline.pk)
    with django_assert_num_queries(9):
        client.get(f"/deals/funnel/?{_query(built, created_to=timezone.localdate().isoformat())}")


def test_the_team_filter_adds_a_fixed_number_of_queries(org: Org, built: Built) -> None:
    client = Client()
    client.force_login(org.director)
    client.get(f"/deals/funnel/?{_query(built, team=org.east.pk)}")
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"/deals/funnel/?{_query(built, team=org.east.pk)}")
    assert response.status_code == 200
    assert len(captured) == 10  # the team subtree is one query


def test_the_page_says_when_no_deal_was_created_in_the_period(org: Org, built: Built) -> None:
    client = Client()
    client.force_login(org.director)
    response = client.get(f"/deals/funnel/?{_query(built, created_from='2025-01-01', created_to='2025-02-01')}")
    assert response.status_code == 200
    assert "此期间内该销售流程没有新建的商机。" in response.content.decode()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"pipeline": "999999"}, "销售流程：请从列表中选择销售流程。"),
        ({"created_from": "2026-04-01", "created_to": "2026-03-01"}, "创建日期止：结束日期不能早于开始日期。"),
        ({"created_from": "2026-13-01"}, "创建日期起：请按 YYYY-MM-DD 格式输入日期。"),
        ({"owner": "张伟"}, "负责人：请从列表中选择。"),
    ],
)
def test_the_page_explains_bad_filters(org: Org, params: dict[str, str], message: str) -> None:
    client = Client()
    client.force_login(org.director)
    response = client.get("/deals/funnel/", params)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert 'data-testid="funnel-table"' not in response.content.decode()


def test_the_board_links_to_the_funnel(org: Org) -> None:
    client = Client()
    client.force_login(org.director)
    body = client.get("/deals/").content.decode()
    assert 'data-testid="funnel-link"' in body
    assert "/deals/funnel/?pipeline=" in body


def test_the_api_returns_the_same_figures_with_a_fixed_number_of_queries(
    org: Org, built: Built, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    # given the director signed in
    client = Client()
    client.force_login(org.director)
    url = f"/api/v1/deals/funnel?pipeline_id={built.pipeline.pk}&created_from=2026-03-01&created_to=2026-03-31"
    client.get(url)

    # when the funnel is requested
    with django_assert_num_queries(6):
        response = client.get(url)

    # then the figures are the page's
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["pipeline"]["name"], body["deals"], body["won"]) == ("渠道业务", 6, 2)
    assert [
        (
            step["stage"]["name"],
            step["stage"]["kind"],
            step["reached"],
            step["reached_amount"],
            step["conversion_from_previous"],
            step["conversion_from_first"],
            step["average_days"],
            step["timed_moves"],
        )
        for step in body["steps"]
    ] == [
        ("初步接洽", "open", 6, "2100000.00", None, 1.0, 3.0, 6),
        ("方案演示", "open", 5, "2000000.00", 0.8333, 0.8333, 3.0, 2),
        ("商务谈判", "open", 3, "1100000.00", 0.6, 0.5, 3.3, 3),
        ("赢单", "won", 2, "900000.00", 0.6667, 0.3333, 1.0, 1),
    ]


def test_the_api_shows_a_rep_only_their_own_deals(org: Org, built: Built) -> None:
    client = Client()
    client.force_login(org.rep_a1)
    response = client.get(f"/api/v1/deals/funnel?pipeline_id={built.pipeline.pk}&created_from=2026-03-01")
    assert [step["reached"] for step in response.json()["steps"]] == [3, 2, 1, 0]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("pipeline_id=999999", "pipeline_id", "请从列表中选择销售流程。"),
        ("created_from=2026-04-01&created_to=2026-03-01", "created_to", "结束日期不能早于开始日期。"),
        ("created_from=2026-02-30", "created_from", "请按 YYYY-MM-DD 格式输入日期。"),
        ("owner_id=abc", "owner_id", "请输入整数。"),
    ],
)
def test_the_api_refuses_bad_filters_with_422_naming_the_field(org: Org, query: str, field: str, message: str) -> None:
    client = Client()
    client.force_login(org.director)
    response = client.get(f"/api/v1/deals/funnel?{query}")
    assert response.status_code == 422
    assert [(error["field"], error["message"]) for error in response.json()["errors"]] == [(field, message)]


# The furthest stage, kept by every service ------------------------------------------------------


def _furthest(deal: Deal) -> str | None:
    stage = Deal.all_objects.get(pk=deal.pk).furthest_stage
    return stage.name if stage else None


def _version(deal: Deal) -> int:
    return Deal.objects.get(pk=deal.pk).version


def test_every_service_keeps_the_furthest_stage_and_only_moves_it_forward(org: Org) -> None:
    # given a deal of the hand-built pipeline: it starts at the first stage
    pipeline, stages = _pipeline()
    deal = a_deal(org.rep_a1, pipeline_id=pipeline.pk)
    assert _furthest(deal) == "初步接洽"
    # a forward move (skipping a stage) moves it, a move back keeps it
    _move(deal, stages["商务谈判"])
    assert _furthest(deal) == "商务谈判"
    _move(deal, stages["方案演示"])
    assert _furthest(deal) == "商务谈判"
    # losing keeps it, and so does reopening
    lost = CloseReason.objects.get(kind="lost", name="价格过高")
    deal_close_lost(actor=SYSTEM, deal_id=deal.pk, version=_version(deal), reason_id=lost.pk)
    assert _furthest(deal) == "商务谈判"
    _reopen(deal)
    assert (Deal.objects.get(pk=deal.pk).stage.name, _furthest(deal)) == ("方案演示", "商务谈判")
    # winning moves it to the won stage, and reopening a won deal leaves it there
    won = CloseReason.objects.get(kind="won", name="价格优势")
    deal_close_won(actor=SYSTEM, deal_id=deal.pk, version=_version(deal), reason_id=won.pk)
    assert _furthest(deal) == "赢单"
    _reopen(deal)
    assert (Deal.objects.get(pk=deal.pk).stage.name, _furthest(deal)) == ("方案演示", "赢单")
    _move(deal, stages["初步接洽"])
    assert _furthest(deal) == "赢单"


def test_a_deal_without_a_furthest_stage_catches_up_on_its_next_move(org: Org) -> None:
    # given a deal in 商务谈判 whose furthest stage was never written
    pipeline, stages = _pipeline()
    deal = a_deal(org.rep_a1, pipeline_id=pipeline.pk)
    Deal.objects.filter(pk=deal.pk).update(stage=stages["商务谈判"], furthest_stage=None)

    # when it moves back
    _move(deal, stages["初步接洽"])

    # then the stage it left counts
    assert _furthest(deal) == "商务谈判"


def test_a_deal_created_in_another_pipeline_starts_at_that_pipelines_first_stage(org: Org) -> None:
    pipeline = pipeline_create(actor=web_actor(org.admin), name="续费业务")
    deal = deal_create(
        actor=SYSTEM,
        values={"name": "年度续费", "customer_id": a_customer(org.rep_a1).pk, "owner_id": org.rep_a1.pk,
                "pipeline_id": pipeline.pk},
    )  # fmt: skip
    assert Deal.objects.get(pk=deal.pk).furthest_stage == Stage.objects.get(pipeline=pipeline, position=0)


# The migration's fill ----------------------------------------------------------------------------


def test_the_migration_fills_the_furthest_stage_from_the_history(org: Org, built: Built) -> None:
    # given the built deals, one more without any history in 商务谈判, one in the recycle bin, and every
    # furthest stage erased
    extra = a_deal(org.rep_a1, pipeline_id=built.pipeline.pk)
    extra.stage_changes.all().delete()
    Deal.objects.filter(pk=extra.pk).update(stage=built.stages["商务谈判"])
    deal_delete(actor=SYSTEM, deal_id=built.deals["lost"].pk)
    Deal.all_objects.update(furthest_stage=None)

    # when the migration's fill runs
    importlib.import_module("crm.deals.migrations.0011_fill_deal_furthest_stage").fill(apps, None)

    # then each deal has the furthest open or won stage of its history and current stage
    furthest = {key: _furthest(deal) for key, deal in built.deals.items()}
    assert furthest == {
        "new": "初步接洽",
        "skip": "商务谈判",
        "lost": "方案演示",
        "won": "赢单",
        "reopened": "赢单",
        "revived": "方案演示",
    }
    assert _furthest(extra) == "商务谈判"


# The moves of a period, found by the deal's creation time ------------------------------------------


def _timed(moves: Any) -> dict[str, tuple[float, int]]:
    """Mean days and count of moves per stage left."""
    by_stage: dict[str, list[float]] = {}
    for change in moves.select_related("from_stage"):
        by_stage.setdefault(change.from_stage.name, []).append(change.time_in_from_stage.total_seconds() / 86_400)
    return {name: (round(sum(days) / len(days), 2), len(days)) for name, days in by_stage.items()}


def test_every_move_keeps_its_deals_creation_time(org: Org, built: Built) -> None:
    # given the built deals, created, moved, won, lost and reopened through the services
    # then each of their stage changes holds its deal's creation time
    changes = StageChange.objects.filter(deal__pipeline=built.pipeline).select_related("deal")
    assert changes.count() == 19  # six creations, thirteen moves and reopenings
    assert all(change.deal_created_at == change.deal.created_at for change in changes)


def test_the_whole_periods_moves_are_those_found_deal_by_deal_without_deleted_deals(org: Org, built: Built) -> None:
    # given the built deals, one of them in the recycle bin, and a deal created in April and moved
    deal_delete(actor=SYSTEM, deal_id=built.deals["won"].pk)
    with time_machine.travel(START + dt.timedelta(days=40), tick=False) as clock:
        april = a_deal(org.rep_a1, pipeline_id=built.pipeline.pk)
        clock.shift(dt.timedelta(days=1))
        _move(april, built.stages["方案演示"])
    stages = [stage for stage in built.stages.values() if stage.kind != StageKind.LOST]
    cohort = funnel_cohort(
        viewer=web_actor(org.director), pipeline_id=built.pipeline.pk, since=MARCH["created_from"],
        until=MARCH["created_to"],
    )  # fmt: skip
    period = {"since": MARCH["created_from"], "until": MARCH["created_to"]}

    # when March's moves are read by the deals' creation time and deal by deal
    by_time = cohort_moves(cohort, stages, **period, whole_period=True)
    by_deal = cohort_moves(cohort, stages, **period, whole_period=False)

    # then both hold the same moves: the deleted deal's and April's are left out
    assert (
        _timed(by_time)
        == _timed(by_deal)
        == {"初步接洽": (2.8, 5), "方案演示": (3.0, 1), "商务谈判": (3.5, 2), "赢单": (1.0, 1)}
    )
    assert figures(_funnel(org.director, built))[0][5:] == (2.8, 5)


def test_the_migration_fills_each_moves_deal_creation_time(org: Org, built: Built) -> None:
    # given the built deals, one in the recycle bin, and every copied creation time erased
    deal_delete(actor=SYSTEM, deal_id=built.deals["lost"].pk)
    StageChange.objects.update(deal_created_at=None)

    # when the migration's fill runs
    importlib.import_module("crm.deals.migrations.0021_fill_stage_change_deal_created_at").fill(apps, None)

    # then every move holds its deal's creation time again
    changes = StageChange.objects.select_related("deal")
    assert changes.filter(deal_created_at__isnull=True).count() == 0
    assert all(change.deal_created_at == change.deal.created_at for change in changes)
