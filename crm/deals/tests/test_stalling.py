"""Stalled deals: flagged by time in stage or missing follow-ups, cleared on recovery, told once."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from conftest import Org
from crm.activities.services import activity_create
from crm.core.actors import system_actor
from crm.core.errors import PermissionDenied
from crm.deals.models import Deal, DealStall, Stage, StallReason
from crm.deals.stalling import deals_flag_stalled
from crm.deals.tasks import flag_stalled_deals
from crm.deals.tests.factories import a_deal, stage_named
from crm.notifications.models import Notification, NotificationKind

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)
JOB = system_actor("flag_stalled_deals")


def run(days_later: float) -> None:
    with time_machine.travel(START + dt.timedelta(days=days_later), tick=False):
        deals_flag_stalled(actor=JOB)


def test_a_deal_longer_in_its_stage_than_expected_is_flagged_and_its_owner_told_once(org: Org) -> None:
    # given the first stage expects 10 days, and a deal entered it at START
    Stage.objects.filter(pk=stage_named("初步沟通").pk).update(expected_days=10, follow_up_days=0)
    with time_machine.travel(START, tick=False):
        deal = a_deal(org.rep_a1, name="智慧园区二期")
    # when the job runs on day 9, day 11 and again on day 12
    run(9)
    assert Deal.objects.get(pk=deal.pk).stalled_since is None
    run(11)
    run(12)
    # then the deal is stalled since day 11 for overdue time in stage, and rep_a1 was told once
    flagged = Deal.objects.get(pk=deal.pk)
    assert flagged.stalled_since == START + dt.timedelta(days=11)
    assert flagged.stalled is not None
    assert flagged.stalled.reason == StallReason.STAGE_OVERDUE
    [notice] = Notification.objects.filter(kind=NotificationKind.STALLED_DEALS)
    assert (notice.recipient_id, notice.title, notice.body) == (org.rep_a1.pk, "你有 1 个商机停滞", "智慧园区二期")


def test_no_follow_up_for_the_stages_days_stalls_a_deal_and_a_follow_up_clears_it(org: Org) -> None:
    Stage.objects.filter(pk=stage_named("初步沟通").pk).update(expected_days=0, follow_up_days=7)
    with time_machine.travel(START, tick=False):
        deal = a_deal(org.rep_a1)
    run(8)
    assert DealStall.objects.get(deal=deal).reason == StallReason.NO_FOLLOW_UP
    # when the rep logs a follow-up on the customer
    with time_machine.travel(START + dt.timedelta(days=9), tick=False):
        activity_create(actor=org.actor(org.rep_a1), values={"customer_id": deal.customer_id, "content": "电话回访"})
    run(9.5)
    # then the flag is gone, and would be raised afresh (and told afresh) next time
    assert Deal.objects.get(pk=deal.pk).stalled_since is None
    assert not DealStall.objects.filter(deal=deal).exists()


def test_managers_are_told_after_the_grace_days(org: Org, settings: object) -> None:
    settings.CRM_STALLED_MANAGER_AFTER_DAYS = 3  # type: ignore[attr-defined]
    Stage.objects.filter(pk=stage_named("初步沟通").pk).update(expected_days=5)
    with time_machine.travel(START, tick=False):
        a_deal(org.rep_a1, name="甲")
        a_deal(org.rep_a2, name="乙")
    run(6)
    assert not Notification.objects.filter(recipient=org.east_a_manager).exists()
    run(8)
    run(10)
    [notice] = Notification.objects.filter(recipient=org.east_a_manager)
    assert notice.title == "你团队的 2 个商机已停滞多日"
    assert Notification.objects.filter(kind=NotificationKind.STALLED_DEALS).count() == 3  # two reps, one manager


def test_closed_deals_are_never_stalled_and_the_job_is_system_only(org: Org) -> None:
    Stage.objects.filter(pk=stage_named("初步沟通").pk).update(expected_days=1)
    with time_machine.travel(START, tick=False):
        deal = a_deal(org.rep_a1)
    run(3)
    Deal.objects.filter(pk=deal.pk).update(stage=stage_named("输单"))
    run(4)
    assert Deal.objects.get(pk=deal.pk).stalled_since is None
    with pytest.raises(PermissionDenied):
        deals_flag_stalled(actor=org.actor(org.admin))


def test_the_scheduled_job_and_the_board_badge(org: Org) -> None:
    from django.test import Client

    Stage.objects.filter(pk=stage_named("初步沟通").pk).update(expected_days=1)
    with time_machine.travel(START, tick=False):
        a_deal(org.rep_a1, name="停滞的项目")
    with time_machine.travel(START + dt.timedelta(days=2), tick=False):
        assert flag_stalled_deals.call() == 1
    client = Client()
    client.force_login(org.rep_a1)
    body = client.get("/deals/").content.decode()
    assert 'data-testid="stalled"' in body
    assert 'title="在当前阶段停留超过预期天数"' in body
    deal = Deal.objects.get(name="停滞的项目")
    assert "停滞 · 在当前阶段停留超过预期天数" in client.get(f"/deals/{deal.pk}/").content.decode()


def test_moving_a_stalled_deal_clears_the_flag_at_once(org: Org) -> None:
    from crm.deals.services import deal_move

    Stage.objects.filter(pk=stage_named("初步沟通").pk).update(expected_days=1)
    with time_machine.travel(START, tick=False):
        deal = a_deal(org.rep_a1)
    run(3)
    stalled = Deal.objects.get(pk=deal.pk)
    assert stalled.stalled_since is not None
    with time_machine.travel(START + dt.timedelta(days=3, hours=1), tick=False):
        moved = deal_move(
            actor=JOB,
            deal_id=deal.pk,
            version=stalled.version,
            stage_id=stage_named("需求确认").pk,
            override_reason="客户已确认需求",
        )
    assert Deal.objects.get(pk=moved.pk).stalled_since is None
    assert not DealStall.objects.filter(deal=deal).exists()


def test_the_list_filters_stalled_deals(org: Org) -> None:
    from django.test import Client

    Stage.objects.filter(pk=stage_named("初步沟通").pk).update(expected_days=1)
    with time_machine.travel(START, tick=False):
        a_deal(org.rep_a1, name="早就停滞的项目")
    run(3)
    a_deal(org.rep_a1, name="刚开始的项目")
    client = Client()
    client.force_login(org.rep_a1)
    stalled = client.get("/deals/list/?stalled=1").content.decode()
    everything = client.get("/deals/list/").content.decode()
    assert "早就停滞的项目" in stalled
    assert "刚开始的项目" not in stalled
    assert "刚开始的项目" in everything
