"""Win/loss analysis: exact figures on a small set of closed deals, scoped to what the viewer sees."""

from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from conftest import Org
from crm.core import clock
from crm.core.actors import system_actor
from crm.deals.models import CloseReason, Deal, StageChange
from crm.deals.services import deal_close_lost, deal_delete, deal_move, deal_reopen
from crm.deals.tests.factories import a_deal, stage_named
from crm.deals.win_loss import win_loss_analysis
from crm.identity.models import User

pytestmark = pytest.mark.django_db

SYSTEM = system_actor("test")


def won(owner: User, amount: str, reason: str = "价格优势") -> Deal:
    deal = a_deal(owner, amount=amount)
    negotiation = stage_named("合同谈判")
    Deal.objects.filter(pk=deal.pk).update(stage=negotiation)
    return deal_move(
        actor=SYSTEM,
        deal_id=deal.pk,
        version=deal.version,
        stage_id=stage_named("签约").pk,
        close_reason_id=CloseReason.objects.get(kind="won", name=reason).pk,
        override_reason="测试数据",
    )


def lost(owner: User, amount: str, reason: str, *, at: str = "初步沟通", competitor: str = "") -> Deal:
    deal = a_deal(owner, amount=amount)
    Deal.objects.filter(pk=deal.pk).update(stage=stage_named(at))
    return deal_close_lost(
        actor=SYSTEM,
        deal_id=deal.pk,
        version=deal.version,
        reason_id=CloseReason.objects.get(kind="lost", name=reason).pk,
        competitor=competitor,
    )


@pytest.fixture
def closed(org: Org) -> None:
    won(org.rep_a1, "80000")
    won(org.rep_a1, "2500000", reason="产品功能匹配")
    lost(org.rep_a1, "300000", "价格过高", at="方案报价", competitor="纷享销客")
    lost(org.rep_a2, "90000", "竞品胜出", at="方案报价", competitor="纷享销客")
    lost(org.rep_n1, "6000000", "客户预算取消", at="合同谈判")
    a_deal(org.rep_a1, amount="50000")  # still open: not counted


def test_the_analysis_counts_every_closed_deal_the_director_sees(org: Org, closed: None) -> None:
    result = win_loss_analysis(viewer=org.actor(org.director), pipeline_id=None)
    totals = result["totals"]
    assert (totals["won"], totals["lost"], totals["win_rate"]) == (2, 3, 40)
    assert (totals["won_amount"], totals["lost_amount"]) == (Decimal("2580000.00"), Decimal("6390000.00"))
    reasons = {(row["stage__kind"], row["close_reason__name"]): row["count"] for row in result["reasons"]}
    assert reasons == {
        ("won", "价格优势"): 1,
        ("won", "产品功能匹配"): 1,
        ("lost", "价格过高"): 1,
        ("lost", "竞品胜出"): 1,
        ("lost", "客户预算取消"): 1,
    }
    assert [(row["lost_from"], row["count"]) for row in result["lost_at"]] == [("方案报价", 2), ("合同谈判", 1)]
    assert [(row["competitor"], row["count"], row["amount"]) for row in result["competitors"]] == [
        ("纷享销客", 2, Decimal("390000.00"))
    ]
    owners = {row["owner__full_name"]: (row["won"], row["lost"], row["win_rate"]) for row in result["owners"]}
    assert owners == {"张伟": (2, 1, 67), "李娜": (0, 1, 0), "刘洋": (0, 1, 0)}
    bands = {str(row["label"]): (row["won"], row["lost"]) for row in result["bands"]}
    assert bands == {
        "10万以下": (1, 1),
        "10万–50万": (0, 1),
        "50万–100万": (0, 0),
        "100万–500万": (1, 0),
        "500万及以上": (0, 1),
    }


def test_a_rep_sees_only_their_own_closed_deals(org: Org, closed: None) -> None:
    result = win_loss_analysis(viewer=org.actor(org.rep_a2), pipeline_id=None)
    assert (result["totals"]["won"], result["totals"]["lost"]) == (0, 1)
    assert [row["competitor"] for row in result["competitors"]] == ["纷享销客"]


def test_the_date_range_uses_the_close_date(org: Org, closed: None) -> None:
    Deal.objects.filter(stage__kind="lost").update(closed_at=dt.datetime(2020, 5, 1, 4, tzinfo=dt.UTC))
    result = win_loss_analysis(
        viewer=org.actor(org.director), pipeline_id=None, since=dt.date(2020, 5, 1), until=dt.date(2020, 5, 31)
    )
    assert (result["totals"]["won"], result["totals"]["lost"]) == (0, 3)


def test_the_page_shows_the_figures_with_a_fixed_number_of_queries(
    org: Org, closed: None, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    client = Client()
    client.force_login(org.director)
    with django_assert_max_num_queries(16) as first:
        body = client.get("/deals/win-loss/?since=2000-01-01").content.decode()
    assert "纷享销客" in body
    assert 'data-testid="win-loss-bands"' in body
    lost(org.rep_b1, "120000", "功能不满足", at="需求确认", competitor="销售易")
    with django_assert_max_num_queries(16) as second:
        client.get("/deals/win-loss/?since=2000-01-01")
    assert len(second.captured_queries) == len(first.captured_queries)
    assert StageChange.objects.filter(to_stage__kind="lost").count() == 4


def test_the_api_returns_the_same_figures(org: Org, closed: None) -> None:
    from crm.core.actors import api_actor
    from crm.identity.services import token_create

    _token, secret = token_create(actor=api_actor(org.director), name="tests")
    response = Client(HTTP_AUTHORIZATION=f"Bearer {secret}").get("/api/v1/deals/win-loss?closed_from=2000-01-01")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["totals"]["won"], body["totals"]["lost"]) == (2, 3)
    assert [(row["competitor"], row["count"]) for row in body["competitors"]] == [("纷享销客", 2)]
    assert [row["label"] for row in body["bands"]] == [
        "10万以下",
        "10万–50万",
        "50万–100万",
        "100万–500万",
        "500万及以上",
    ]


def test_without_dates_the_page_and_the_api_count_this_years_closed_deals(org: Org, closed: None) -> None:
    from crm.core.actors import api_actor
    from crm.identity.services import token_create

    # given one of the lost deals closed last year
    last_year = dt.datetime(clock.today().year - 1, 6, 1, 4, tzinfo=dt.UTC)
    Deal.objects.filter(amount=Decimal("6000000.00")).update(closed_at=last_year)
    _token, secret = token_create(actor=api_actor(org.director), name="tests")
    client = Client()
    client.force_login(org.director)

    # when the page and the API are read without a period
    body = Client(HTTP_AUTHORIZATION=f"Bearer {secret}").get("/api/v1/deals/win-loss").json()
    page = client.get("/deals/win-loss/")

    # then both count this year's: two won, two lost
    assert (body["totals"]["won"], body["totals"]["lost"]) == (2, 2)
    assert (page.context["totals"]["won"], page.context["totals"]["lost"]) == (2, 2)


# The stage a deal was lost from, kept on the deal --------------------------------------------------


def _lost_from(deal: Deal) -> str | None:
    stage = Deal.all_objects.get(pk=deal.pk).lost_from_stage
    return stage.name if stage else None


def _move(deal: Deal, stage: str, **values: Any) -> Deal:
    return deal_move(
        actor=SYSTEM,
        deal_id=deal.pk,
        version=deal.version,
        stage_id=stage_named(stage).pk,
        override_reason="测试数据",
        **values,
    )


def test_every_service_keeps_the_stage_a_deal_was_lost_from(org: Org) -> None:
    # given an open deal: nothing lost yet
    deal = a_deal(org.rep_a1)
    assert _lost_from(deal) is None
    # when it is moved to 方案报价 and lost from there, the stage is kept
    deal = _move(_move(deal, "需求确认"), "方案报价")
    reason = CloseReason.objects.get(kind="lost", name="价格过高")
    deal = deal_close_lost(actor=SYSTEM, deal_id=deal.pk, version=deal.version, reason_id=reason.pk)
    assert _lost_from(deal) == "方案报价"
    # reopening clears it; a move into the lost stage sets it like closing does
    deal = deal_reopen(actor=SYSTEM, deal_id=deal.pk, version=deal.version)
    assert (deal.stage.name, _lost_from(deal)) == ("方案报价", None)
    deal = _move(deal, "输单", close_reason_id=reason.pk)
    assert _lost_from(deal) == "方案报价"
    deal = deal_reopen(actor=SYSTEM, deal_id=deal.pk, version=deal.version)
    deal = _move(deal, "初步沟通")
    assert _lost_from(deal) is None
    # lost again from the first stage, the figure follows the last loss
    deal = deal_close_lost(actor=SYSTEM, deal_id=deal.pk, version=deal.version, reason_id=reason.pk)
    result = win_loss_analysis(viewer=org.actor(org.director), pipeline_id=None)
    assert [(row["lost_from"], row["count"]) for row in result["lost_at"]] == [("初步沟通", 1)]


def test_the_migration_fills_the_stage_lost_from_out_of_the_history(org: Org, closed: None) -> None:
    # given the closed deals, one of them lost twice (reopened in between) and in the recycle bin, and
    # every stored lost-from stage erased
    twice = lost(org.rep_a1, "70000", "价格过高", at="需求确认")
    twice = deal_reopen(actor=SYSTEM, deal_id=twice.pk, version=twice.version)
    twice = _move(twice, "方案报价")
    reason = CloseReason.objects.get(kind="lost", name="价格过高")
    deal_close_lost(actor=SYSTEM, deal_id=twice.pk, version=twice.version, reason_id=reason.pk)
    deal_delete(actor=SYSTEM, deal_id=twice.pk)
    Deal.all_objects.update(lost_from_stage=None)

    # when the migration's fill runs
    importlib.import_module("crm.deals.migrations.0016_fill_deal_lost_from_stage").fill(apps, None)

    # then each lost deal has the stage its last loss came from, and no other deal has one
    filled = {deal.amount: _lost_from(deal) for deal in Deal.all_objects.order_by("amount")}
    assert filled == {
        Decimal("50000.00"): None,
        Decimal("70000.00"): "方案报价",
        Decimal("80000.00"): None,
        Decimal("90000.00"): "方案报价",
        Decimal("300000.00"): "方案报价",
        Decimal("2500000.00"): None,
        Decimal("6000000.00"): "合同谈判",
    }
