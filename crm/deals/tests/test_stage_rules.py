"""The deal state machine, through deal_move: every refusal path and the allowed moves."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from conftest import Org
from crm.activities.services import activity_create
from crm.audit.models import AuditEntry
from crm.core.errors import Conflict, PermissionDenied
from crm.customers.models import DealRole
from crm.customers.tests.factories import a_contact, a_customer
from crm.deals import stage_rules
from crm.deals.errors import MoveRefused, StageRequirementsMissing
from crm.deals.models import ChecklistItem, CloseReason, Deal, StageChange
from crm.deals.services import (
    checklist_tick,
    deal_close_lost,
    deal_close_won,
    deal_contact_set,
    deal_move,
    deal_reopen,
    deal_update,
)
from crm.deals.tests.factories import a_deal, stage_named


def _tick_all(org: Org, deal: Deal, stage_name: str) -> None:
    for item in ChecklistItem.objects.filter(stage=stage_named(stage_name)):
        checklist_tick(actor=org.actor(org.rep_a1), deal_id=deal.pk, item_id=item.pk, ticked=True)


def _to_needs_confirmed(org: Org, deal: Deal) -> Deal:
    deal = deal_update(actor=org.actor(org.rep_a1), deal_id=deal.pk, version=deal.version, values={"budget": "150000"})
    _tick_all(org, deal, "需求确认")
    return deal_move(
        actor=org.actor(org.rep_a1), deal_id=deal.pk, version=deal.version, stage_id=stage_named("需求确认").pk
    )


def _codes(error: MoveRefused | StageRequirementsMissing) -> list[str]:
    return [item["code"] for item in error.extra["missing"]]


def test_moving_forward_one_step_records_history_and_time_in_stage(org: Org) -> None:
    # given a deal opened three days ago in 初步沟通 with its budget known and checklist ticked
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        deal = a_deal(org.rep_a1)
    deal = deal_update(actor=org.actor(org.rep_a1), deal_id=deal.pk, version=deal.version, values={"budget": "150000"})
    _tick_all(org, deal, "需求确认")

    # when the owner moves it to 需求确认
    with time_machine.travel(start + dt.timedelta(days=3), tick=False):
        moved = deal_move(
            actor=org.actor(org.rep_a1), deal_id=deal.pk, version=deal.version, stage_id=stage_named("需求确认").pk
        )

    # then the stage, probability and history follow
    moved.refresh_from_db()
    assert moved.stage.name == "需求确认"
    assert moved.probability == 25
    history = list(StageChange.objects.filter(deal=deal).order_by("id"))
    assert [(h.from_stage and h.from_stage.name, h.to_stage.name) for h in history] == [
        (None, "初步沟通"),
        ("初步沟通", "需求确认"),
    ]
    assert history[1].time_in_from_stage == dt.timedelta(days=3)
    assert history[1].actor_name == "张伟"


def test_skipping_a_stage_is_refused(org: Org) -> None:
    # given a deal in 初步沟通
    deal = a_deal(org.rep_a1)

    # when the owner drags it straight to 方案报价
    with pytest.raises(MoveRefused) as refused:
        deal_move(
            actor=org.actor(org.rep_a1), deal_id=deal.pk, version=deal.version, stage_id=stage_named("方案报价").pk
        )

    # then the move is not in the transition table and nothing changed
    assert _codes(refused.value) == ["move_not_allowed"]
    assert refused.value.message == "商机不能从“初步沟通”推进到“方案报价”。"
    assert StageChange.objects.filter(deal=deal).count() == 1


def test_missing_field_and_unticked_checklist_are_listed(org: Org) -> None:
    # given a deal without a budget and with nothing ticked
    deal = a_deal(org.rep_a1)

    # when the owner moves it forward
    with pytest.raises(StageRequirementsMissing) as refused:
        deal_move(
            actor=org.actor(org.rep_a1), deal_id=deal.pk, version=deal.version, stage_id=stage_named("需求确认").pk
        )

    # then each missing item is named
    items = ChecklistItem.objects.filter(stage=stage_named("需求确认")).order_by("position")
    assert _codes(refused.value) == ["budget", *[f"checklist:{item.pk}" for item in items]]
    assert [item["message"] for item in refused.value.extra["missing"]] == [
        "请填写：客户预算",
        "请勾选检查项：已了解客户业务痛点",
        "请勾选检查项：已确认采购时间表",
    ]
    assert refused.value.extra["may_override"] is False
    assert [error.field for error in refused.value.errors] == ["budget"]


def test_unticked_checklist_alone_is_refused(org: Org) -> None:
    # given a deal with its budget but one item left unticked
    deal = a_deal(org.rep_a1, budget="80000")
    first, second = ChecklistItem.objects.filter(stage=stage_named("需求确认")).order_by("position")
    checklist_tick(actor=org.actor(org.rep_a1), deal_id=deal.pk, item_id=first.pk, ticked=True)

    # when the owner moves it forward
    with pytest.raises(StageRequirementsMissing) as refused:
        deal_move(
            actor=org.actor(org.rep_a1), deal_id=deal.pk, version=deal.version, stage_id=stage_named("需求确认").pk
        )

    # then only the unticked item is missing
    assert _codes(refused.value) == [f"checklist:{second.pk}"]


def test_missing_evidence_is_satisfied_only_by_a_decision_maker_meeting_after_entering_the_stage(org: Org) -> None:
    # given a deal in 需求确认 with a decision maker, close date and ticked checklist
    customer = a_customer(org.rep_a1, name="杭州云启网络科技有限公司")
    boss = a_contact(org.rep_a1, customer, name="陈总", deal_role=DealRole.DECISION_MAKER)
    clerk = a_contact(org.rep_a1, customer, name="小李", deal_role=DealRole.USER)
    activity_create(  # a meeting before the deal entered the stage does not count
        actor=org.actor(org.rep_a1),
        values={"customer_id": customer.pk, "contact_id": boss.pk, "kind": "meeting", "content": "早期会面"},
    )
    deal = a_deal(org.rep_a1, customer, expected_close_on="2026-12-31")
    deal = _to_needs_confirmed(org, deal)
    deal_contact_set(actor=org.actor(org.rep_a1), deal_id=deal.pk, contact_id=boss.pk, role=DealRole.DECISION_MAKER)
    _tick_all(org, deal, "方案报价")
    activity_create(  # a visit with someone who is not a decision maker does not count either
        actor=org.actor(org.rep_a1),
        values={"customer_id": customer.pk, "contact_id": clerk.pk, "kind": "visit", "content": "演示"},
    )
    target = stage_named("方案报价").pk

    # when the owner moves it to 方案报价
    with pytest.raises(StageRequirementsMissing) as refused:
        deal_move(actor=org.actor(org.rep_a1), deal_id=deal.pk, version=deal.version, stage_id=target)

    # then the evidence is missing, and a meeting with the decision maker satisfies it
    assert _codes(refused.value) == ["decision_maker_meeting"]
    activity_create(
        actor=org.actor(org.rep_a1),
        values={"customer_id": customer.pk, "contact_id": boss.pk, "kind": "meeting", "content": "方案沟通会"},
    )
    moved = deal_move(actor=org.actor(org.rep_a1), deal_id=deal.pk, version=deal.version, stage_id=target)
    assert moved.stage.name == "方案报价"


def test_moving_back_needs_no_requirements(org: Org) -> None:
    # given a deal in 需求确认
    deal = _to_needs_confirmed(org, a_deal(org.rep_a1))

    # when it moves back to 初步沟通, then the checklist is not asked again
    moved = deal_move(
        actor=org.actor(org.rep_a1), deal_id=deal.pk, version=deal.version, stage_id=stage_named("初步沟通").pk
    )
    assert moved.stage.name == "初步沟通"


def test_override_without_the_right_is_refused(org: Org) -> None:
    # given a deal missing its requirements
    deal = a_deal(org.rep_a1)

    # when the rep tries to override them, then only a manager may
    with pytest.raises(PermissionDenied) as refused:
        deal_move(
            actor=org.actor(org.rep_a1),
            deal_id=deal.pk,
            version=deal.version,
            stage_id=stage_named("需求确认").pk,
            override_reason="客户催得紧",
        )
    assert refused.value.message == "只有经理可以跳过阶段准入要求。"
    assert Deal.objects.get(pk=deal.pk).stage.name == "初步沟通"


def test_override_without_a_reason_is_refused_with_the_missing_items(org: Org) -> None:
    # given a deal of the manager's team missing its requirements
    deal = a_deal(org.rep_a1)

    # when the manager moves it without a reason
    with pytest.raises(StageRequirementsMissing) as refused:
        deal_move(
            actor=org.actor(org.east_a_manager),
            deal_id=deal.pk,
            version=deal.version,
            stage_id=stage_named("需求确认").pk,
            override_reason="  ",
        )

    # then the refusal tells them they may override with a reason
    assert refused.value.extra["may_override"] is True
    assert len(refused.value.extra["missing"]) == 3


def test_override_is_refused_where_the_stage_does_not_allow_it(org: Org) -> None:
    # given a stage whose administrator turned overrides off
    stage = stage_named("需求确认")
    stage.allows_override = False
    stage.save()
    deal = a_deal(org.rep_a1)

    # when a manager overrides, then it is refused
    with pytest.raises(PermissionDenied):
        deal_move(
            actor=org.actor(org.east_a_manager),
            deal_id=deal.pk,
            version=deal.version,
            stage_id=stage.pk,
            override_reason="老客户续签",
        )


def test_manager_override_is_kept_in_history_and_audit(org: Org) -> None:
    # given a deal missing its requirements
    deal = a_deal(org.rep_a1)

    # when the team manager overrides with a reason
    deal_move(
        actor=org.actor(org.east_a_manager),
        deal_id=deal.pk,
        version=deal.version,
        stage_id=stage_named("需求确认").pk,
        override_reason="老客户续签，需求已明确",
    )

    # then the reason is in the stage history and the audit entry
    change = StageChange.objects.filter(deal=deal).latest("id")
    assert change.override_reason == "老客户续签，需求已明确"
    entry = AuditEntry.objects.filter(target_type="deals.deal", target_id=deal.pk).latest("id")
    assert entry.changes["override_reason"] == ["", "老客户续签，需求已明确"]
    assert entry.changes["stage"] == [stage_named("初步沟通").pk, stage_named("需求确认").pk]


def test_won_only_from_negotiation_and_with_a_reason(org: Org) -> None:
    # given a deal in 需求确认 and a won reason
    deal = _to_needs_confirmed(org, a_deal(org.rep_a1))
    reason = CloseReason.objects.get(kind="won", name="价格优势")

    # when it is marked won from there, then the move is not allowed
    with pytest.raises(MoveRefused) as refused:
        deal_close_won(actor=org.actor(org.rep_a1), deal_id=deal.pk, version=deal.version, reason_id=reason.pk)
    assert _codes(refused.value) == ["move_not_allowed"]


def test_closing_without_a_reason_is_refused(org: Org) -> None:
    # given an open deal
    deal = a_deal(org.rep_a1)

    # when it is marked lost without a reason
    with pytest.raises(MoveRefused) as refused:
        deal_close_lost(actor=org.actor(org.rep_a1), deal_id=deal.pk, version=deal.version, reason_id=None)

    # then the reason field is named
    assert _codes(refused.value) == ["close_reason"]
    assert [error.field for error in refused.value.errors] == ["close_reason"]


def test_lost_from_anywhere_with_reason_and_competitor_then_reopen(org: Org) -> None:
    # given a deal in 需求确认
    deal = _to_needs_confirmed(org, a_deal(org.rep_a1))
    reason = CloseReason.objects.get(kind="lost", name="竞品胜出")

    # when it is lost to a competitor
    lost = deal_close_lost(
        actor=org.actor(org.rep_a1), deal_id=deal.pk, version=deal.version, reason_id=reason.pk, competitor="Salesforce"
    )

    # then it is closed with the reason and competitor, and reopening puts it back in 需求确认
    lost.refresh_from_db()
    assert (lost.stage.name, lost.close_reason, lost.competitor, lost.probability) == ("输单", reason, "Salesforce", 0)
    assert lost.closed_at is not None
    reopened = deal_reopen(actor=org.actor(org.rep_a1), deal_id=deal.pk, version=lost.version)
    reopened.refresh_from_db()
    assert (reopened.stage.name, reopened.close_reason, reopened.competitor) == ("需求确认", None, "")


def test_a_closed_deal_cannot_move(org: Org) -> None:
    # given a lost deal
    deal = a_deal(org.rep_a1)
    reason = CloseReason.objects.get(kind="lost", name="价格过高")
    deal = deal_close_lost(actor=org.actor(org.rep_a1), deal_id=deal.pk, version=deal.version, reason_id=reason.pk)

    # when someone moves it, then it must be reopened first
    with pytest.raises(MoveRefused) as refused:
        deal_move(
            actor=org.actor(org.rep_a1), deal_id=deal.pk, version=deal.version, stage_id=stage_named("需求确认").pk
        )
    assert _codes(refused.value) == ["deal_closed"]


def test_a_stale_version_gets_a_conflict_naming_the_current_stage(org: Org) -> None:
    # given a deal another user moved after this user opened it
    deal = a_deal(org.rep_a1, budget="1")
    _tick_all(org, deal, "需求确认")
    stale = deal.version
    deal_move(actor=org.actor(org.rep_a1), deal_id=deal.pk, version=stale, stage_id=stage_named("需求确认").pk)

    # when the second user moves it from what they saw
    with pytest.raises(Conflict) as conflict:
        deal_move(actor=org.actor(org.east_a_manager), deal_id=deal.pk, version=stale, stage_id=stage_named("输单").pk)

    # then they learn where it is now, and history has one move
    assert "“需求确认”" in conflict.value.message
    assert StageChange.objects.filter(deal=deal).count() == 2


def test_an_app_above_deals_can_prove_the_quote_sent_evidence(org: Org) -> None:
    # given a stage that requires a sent quote, and an app that answers yes for one deal
    stage = stage_named("需求确认")
    stage.required_fields, stage.required_evidence = [], ["quote_sent"]
    stage.save()
    stage.checklist.all().delete()
    quoted, unquoted = a_deal(org.rep_a1), a_deal(org.rep_a1)
    original = stage_rules.EVIDENCE_RULES["quote_sent"]
    stage_rules.register_evidence("quote_sent", lambda deal: deal.pk == quoted.pk)
    try:
        # when both move forward, then only the quoted one may
        deal_move(actor=org.actor(org.rep_a1), deal_id=quoted.pk, version=quoted.version, stage_id=stage.pk)
        with pytest.raises(StageRequirementsMissing) as refused:
            deal_move(actor=org.actor(org.rep_a1), deal_id=unquoted.pk, version=unquoted.version, stage_id=stage.pk)
        assert _codes(refused.value) == ["quote_sent"]
    finally:
        stage_rules.EVIDENCE_RULES["quote_sent"] = original
