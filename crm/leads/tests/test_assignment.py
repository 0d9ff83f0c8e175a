"""Assignment rules: each strategy, capacity caps, inactive reps, rule order, audit and notices."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import translation

from conftest import Org
from crm.audit.models import AuditEntry
from crm.core.actors import system_actor
from crm.identity.models import User
from crm.leads.intake import lead_intake
from crm.leads.models import AssignmentRule, Lead
from crm.leads.rulebook import ASSIGNMENT, capacity_set, rule_save
from crm.leads.services import lead_create
from crm.leads.tests.factories import a_lead
from crm.notifications.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_english() -> Iterator[None]:
    with translation.override("en"):
        yield


def rule(
    org: Org, name: str, strategy: str, conditions: list[dict[str, Any]] | None = None, **extra: Any
) -> AssignmentRule:
    values = {"name": name, "strategy": strategy, "conditions": conditions or [], **extra}
    saved: AssignmentRule = rule_save(actor=org.actor(org.admin), kind=ASSIGNMENT, values=values)
    return saved


def owners_of(count: int, org: Org, **values: Any) -> list[str]:
    leads = [a_lead(org.admin, name=f"线索{i}", **values) for i in range(count)]
    return [Lead.objects.select_related("owner").get(pk=lead.pk).owner.username for lead in leads]


def test_named_user(org: Org) -> None:
    rule(org, "北京归刘洋", "user", [{"field": "province", "op": "eq", "value": "北京"}], user_id=org.rep_n1.pk)
    assert owners_of(2, org, province="北京市") == ["rep_n1", "rep_n1"]
    assert owners_of(1, org, province="上海市") == ["admin"]


def test_round_robin_takes_turns(org: Org) -> None:
    rule(org, "华东轮询", "round_robin", members=[org.rep_a1.pk, org.rep_a2.pk, org.rep_b1.pk])
    assert owners_of(7, org) == ["rep_a1", "rep_a2", "rep_b1", "rep_a1", "rep_a2", "rep_b1", "rep_a1"]


def test_team_round_robin_rotates_over_active_team_members(org: Org) -> None:
    # given the 上海一组 team: its manager and two reps
    rule(org, "上海一组", "team", team_id=org.east_a.pk)
    assert owners_of(4, org) == ["east_a_manager", "rep_a1", "rep_a2", "east_a_manager"]


def test_least_loaded_picks_the_rep_with_fewest_open_leads(org: Org) -> None:
    # given rep_a1 already holds two open leads and rep_a2 one
    for owner in (org.rep_a1, org.rep_a1, org.rep_a2):
        a_lead(owner)
    rule(org, "平均分配", "least_loaded", members=[org.rep_a1.pk, org.rep_a2.pk, org.rep_b1.pk])
    # when four leads arrive, then the emptiest rep gets each
    assert owners_of(4, org) == ["rep_b1", "rep_a2", "rep_b1", "rep_a1"]
    reason = Lead.objects.filter(owner=org.rep_b1).order_by("id").first()
    assert reason is not None
    assert reason.assignment_reason == ("Rule “平均分配” (Fewest open leads) chose 王芳, who had 0 open leads")


def test_weighted_follows_the_weights(org: Org) -> None:
    members = [{"user_id": org.rep_a1.pk, "weight": 3}, {"user_id": org.rep_a2.pk, "weight": 1}]
    rule(org, "加权", "weighted", members=members)
    owners = owners_of(8, org)
    assert Counter(owners) == {"rep_a1": 6, "rep_a2": 2}
    assert owners[:4] == ["rep_a1", "rep_a1", "rep_a2", "rep_a1"]


def test_capacity_cap_passes_a_full_rep_over(org: Org) -> None:
    # given rep_a1 may hold 1 open lead and already holds it
    a_lead(org.rep_a1)
    capacity_set(actor=org.actor(org.admin), user_id=org.rep_a1.pk, max_open_leads=1)
    rule(org, "轮询", "round_robin", members=[org.rep_a1.pk, org.rep_a2.pk])
    # then rep_a1's turns go to rep_a2
    assert owners_of(3, org) == ["rep_a2", "rep_a2", "rep_a2"]


def test_inactive_reps_are_skipped(org: Org) -> None:
    rule(org, "轮询", "round_robin", members=[org.rep_a1.pk, org.rep_a2.pk, org.rep_b1.pk])
    User.objects.filter(pk=org.rep_a2.pk).update(is_active=False)
    assert owners_of(4, org) == ["rep_a1", "rep_b1", "rep_a1", "rep_b1"]


def test_rules_are_tried_in_order_and_a_full_rule_falls_through(org: Org) -> None:
    # given a high-score rule for 张伟 (capacity 1) above a catch-all for 李娜
    capacity_set(actor=org.actor(org.admin), user_id=org.rep_a1.pk, max_open_leads=1)
    rule(org, "大客户", "user", [{"field": "annual_revenue", "op": "gte", "value": 10000000}], user_id=org.rep_a1.pk)
    rule(org, "其余", "user", user_id=org.rep_a2.pk)
    # when two big leads and a small one arrive
    owners = owners_of(2, org, annual_revenue="50000000") + owners_of(1, org, annual_revenue="100")
    # then the first big one goes to 张伟, the rest fall to the next rule
    assert owners == ["rep_a1", "rep_a2", "rep_a2"]


def test_a_lead_owned_by_choice_is_not_reassigned(org: Org) -> None:
    rule(org, "全部", "user", user_id=org.rep_b1.pk)
    chosen = lead_create(actor=org.actor(org.rep_a1), values={"name": "孙丽", "owner_id": org.rep_a1.pk})
    default = lead_create(actor=org.actor(org.rep_a1), values={"name": "周杰"})
    assert Lead.objects.get(pk=chosen.pk).owner_id == org.rep_a1.pk
    assert Lead.objects.get(pk=default.pk).owner_id == org.rep_b1.pk


def test_assignment_is_recorded_audited_and_notified(org: Org) -> None:
    # given a rule and 王芳 reading English
    assign = rule(org, "杭州线索", "user", [{"field": "city", "op": "eq", "value": "杭州"}], user_id=org.rep_b1.pk)
    User.objects.filter(pk=org.rep_b1.pk).update(language="en")
    # when a lead from 杭州 arrives through a web form
    lead = a_lead(org.admin, name="陈思远", city="杭州市")
    lead.refresh_from_db()
    # then the lead says which rule chose whom, and why
    reason = "Rule “杭州线索” (A named user) chose 王芳"
    assert (lead.owner_id, lead.team_id, lead.assignment_rule_id, lead.assignment_reason) == (
        org.rep_b1.pk,
        org.east_b.pk,
        assign.pk,
        reason,
    )
    entry = AuditEntry.objects.get(target_type="leads.lead", target_id=lead.pk, verb="assign")
    assert entry.changes == {
        "owner": [org.admin.pk, org.rep_b1.pk],
        "assignment_rule": [None, assign.pk],
        "assignment_reason": ["", reason],
    }
    notice = Notification.objects.get(recipient=org.rep_b1)
    assert (notice.kind, notice.title, notice.body, notice.url, notice.target_id) == (
        "lead_assigned",
        "New lead for you: 陈思远",
        reason,
        f"/leads/{lead.pk}/",
        lead.pk,
    )


def test_a_bulk_intake_sends_one_summary_notice_per_rep(org: Org) -> None:
    rule(org, "轮询", "round_robin", members=[org.rep_a1.pk, org.rep_a2.pk])
    leads = [Lead.objects.create(name=f"导入{i}", owner=org.admin) for i in range(5)]
    summary = lead_intake(actor=system_actor("import"), leads=leads)
    assert summary.assigned == 5
    # then each rep gets one notice, in their own language (Chinese by default)
    titles = dict(Notification.objects.values_list("recipient__username", "title"))
    assert titles == {"rep_a1": "3 条新线索分配给你", "rep_a2": "2 条新线索分配给你"}
    assert AuditEntry.objects.filter(target_type="leads.lead", verb="assign").count() == 5
