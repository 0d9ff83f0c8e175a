"""Intake of new leads: entry criteria route them, scoring rules score them, with reasons and decay."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import translation

from conftest import Org
from crm.audit.models import AuditEntry
from crm.core.actors import api_actor, system_actor
from crm.identity.services import token_create
from crm.leads.intake import lead_intake, leads_rescore_all
from crm.leads.models import Lead, LeadStatus
from crm.leads.rulebook import ASSIGNMENT, CRITERIA, SCORING, rule_save
from crm.leads.services import lead_create_many, lead_set_status, lead_update
from crm.leads.tests.factories import a_lead

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_english() -> Iterator[None]:
    with translation.override("en"):
        yield


def criterion(org: Org, conditions: list[dict[str, Any]], reason: str = "") -> None:
    rule_save(actor=org.actor(org.admin), kind=CRITERIA, values={"conditions": conditions, "reason": reason})


def scoring(org: Org, name: str, points: int, conditions: list[dict[str, Any]], **extra: Any) -> None:
    values = {"name": name, "points": points, "conditions": conditions, **extra}
    rule_save(actor=org.actor(org.admin), kind=SCORING, values=values)


def test_a_lead_failing_a_criterion_is_unqualified_with_the_reason(org: Org) -> None:
    # given revenue ≥ 10M and industry in 制造业/零售 as entry criteria
    criterion(org, [{"field": "annual_revenue", "op": "gte", "value": 10000000}])
    criterion(org, [{"field": "industry", "op": "in", "value": ["制造业", "零售"]}], reason="行业不在目标范围")
    # when a small manufacturer and a large bank come in
    small = a_lead(org.rep_a1, annual_revenue="2000000", industry="制造业")
    bank = a_lead(org.rep_a1, name="Lisa Chen", annual_revenue="90000000", industry="金融")
    fit = a_lead(org.rep_a1, name="赵敏", annual_revenue="50000000", industry="制造业")
    # then each is routed with the reason of the first criterion it fails
    rows = {lead.pk: (lead.status, lead.unqualified_reason) for lead in Lead.objects.all()}
    assert rows == {
        small.pk: ("unqualified", "annual revenue (CNY) < 10,000,000"),
        bank.pk: ("unqualified", "行业不在目标范围"),
        fit.pk: ("new", ""),
    }


def test_routing_is_audited(org: Org) -> None:
    criterion(org, [{"field": "has_mobile", "op": "is", "value": True}])
    lead = a_lead(org.rep_a1, mobile="")
    entry = AuditEntry.objects.filter(target_type="leads.lead", target_id=lead.pk, verb="update").get()
    assert entry.changes == {
        "status": ["new", "unqualified"],
        "unqualified_reason": ["", "has a mobile number: no"],
    }


def test_without_criteria_every_lead_enters_the_pool(org: Org) -> None:
    lead = a_lead(org.rep_a1, annual_revenue=None)
    lead.refresh_from_db()
    assert (lead.status, lead.score, lead.score_reasons) == ("new", 0, [])


def test_rule_score_and_reasons_ordered_by_weight(org: Org) -> None:
    # given fit rules
    scoring(org, "行业 = 制造业", 18, [{"field": "industry", "op": "eq", "value": "制造业"}])
    scoring(org, "Has email", 5, [{"field": "has_email", "op": "is", "value": True}])
    scoring(org, "Free mailbox", -7, [{"field": "company_name", "op": "empty"}])
    scoring(org, "Retail", 30, [{"field": "industry", "op": "eq", "value": "零售"}])
    # when a manufacturer with email but no company is captured
    lead = a_lead(org.rep_a1, industry="制造业", company_name="")
    lead.refresh_from_db()
    # then the score adds up and the reasons come biggest first
    assert lead.score == 16
    assert lead.score_reasons == [
        {"points": 18, "text": "行业 = 制造业"},
        {"points": -7, "text": "Free mailbox"},
        {"points": 5, "text": "Has email"},
    ]
    assert lead.scored_at is not None


def test_engagement_points_halve_every_half_life(org: Org) -> None:
    # given engagement worth 40 points for contacted leads, halving every 10 days
    scoring(
        org,
        "Contacted",
        40,
        [{"field": "status", "op": "eq", "value": "contacted"}],
        kind="engagement",
        half_life_days=10,
    )
    with time_machine.travel(dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC), tick=False):
        lead = a_lead(org.rep_a1)
        lead = lead_set_status(actor=org.actor(org.rep_a1), lead_id=lead.pk, status="contacted")
        lead.refresh_from_db()
        assert lead.score == 40
    # when 10 and then 20 days pass without a touch and the bulk rescore runs
    with time_machine.travel(dt.datetime(2026, 3, 11, 9, tzinfo=dt.UTC), tick=False):
        assert leads_rescore_all() == 1
    lead.refresh_from_db()
    assert (lead.score, lead.score_reasons) == (20, [{"points": 20, "text": "Contacted"}])
    with time_machine.travel(dt.datetime(2026, 3, 21, 9, tzinfo=dt.UTC), tick=False):
        leads_rescore_all()
    lead.refresh_from_db()
    assert lead.score == 10


def test_days_since_last_touch_rule(org: Org) -> None:
    # given −7 points for 30 days without a touch
    scoring(org, "30天未跟进", -7, [{"field": "days_since_update", "op": "gte", "value": 30}], kind="engagement")
    with time_machine.travel(dt.datetime(2026, 1, 1, 9, tzinfo=dt.UTC), tick=False):
        lead = a_lead(org.rep_a1)
    with time_machine.travel(dt.datetime(2026, 2, 5, 9, tzinfo=dt.UTC), tick=False):
        leads_rescore_all()
    lead.refresh_from_db()
    # the score stays within 0–100 while the reasons still show the points taken: the rule's,
    # and the built-in one for a lead nobody followed up
    assert (lead.score, lead.score_reasons) == (
        0,
        [{"points": -7, "text": "30天未跟进"}, {"points": -7, "text": "no follow-up in 30 days"}],
    )


def test_an_edit_rescores_the_lead(org: Org) -> None:
    scoring(org, "Retail", 30, [{"field": "industry", "op": "eq", "value": "零售"}])
    lead = a_lead(org.rep_a1, industry="制造业")
    lead = lead_update(actor=org.actor(org.rep_a1), lead_id=lead.pk, version=lead.version, values={"industry": "零售"})
    lead.refresh_from_db()
    assert lead.score == 30


def test_intake_of_many_leads_uses_a_fixed_number_of_queries(org: Org, django_assert_max_num_queries: Any) -> None:
    # given rules and 300 saved leads
    criterion(org, [{"field": "annual_revenue", "op": "gte", "value": 1000}])
    scoring(org, "Has email", 5, [{"field": "has_email", "op": "is", "value": True}])
    leads = [
        Lead.objects.create(
            name=f"客户{i}", owner=org.rep_a1, email=f"u{i}@example.cn" if i % 2 else "", annual_revenue=i * 10
        )
        for i in range(300)
    ]
    # when they go through intake together
    with django_assert_max_num_queries(15):
        summary = lead_intake(actor=system_actor("import"), leads=leads)
    # then
    assert (summary.pooled, summary.unqualified) == (200, 100)
    counts = {status: Lead.objects.filter(status=status).count() for status in (LeadStatus.NEW, LeadStatus.UNQUALIFIED)}
    assert counts == {"new": 200, "unqualified": 100}
    assert sorted(set(Lead.objects.values_list("score", flat=True))) == [0, 5]


def test_a_bulk_create_decides_before_the_insert_and_audits_on_the_create_entry(org: Org) -> None:
    # given a criterion and a round-robin rule
    criterion(org, [{"field": "has_mobile", "op": "is", "value": True}], reason="缺少手机号")
    rule_save(
        actor=org.actor(org.admin),
        kind=ASSIGNMENT,
        values={"name": "导入轮询", "strategy": "round_robin", "members": [org.rep_a1.pk, org.rep_a2.pk]},
    )
    drafts = [
        {"name": f"导入客户{i}", "mobile": f"1391234{i:04d}" if i % 3 else "", "owner_id": org.admin.pk}
        for i in range(6)
    ]
    # when an import creates them in one go
    created = lead_create_many(actor=org.actor(org.admin), drafts=drafts)
    # then the rows went in final: unqualified without mobile, the rest shared out in turn
    rows = list(Lead.objects.order_by("id").values_list("status", "unqualified_reason", "owner__username"))
    assert rows == [
        ("unqualified", "缺少手机号", "admin"),
        ("new", "", "rep_a1"),
        ("new", "", "rep_a2"),
        ("unqualified", "缺少手机号", "admin"),
        ("new", "", "rep_a1"),
        ("new", "", "rep_a2"),
    ]
    # and each lead's one create entry says why it got its owner
    entry = AuditEntry.objects.get(target_type="leads.lead", target_id=created[1].pk)
    assert entry.verb == "create"
    assert entry.changes["owner"] == [None, org.rep_a1.pk]
    assert entry.changes["assignment_reason"] == [None, "Rule “导入轮询” (Round robin over chosen users) chose 张伟"]


def test_the_api_shows_the_score_and_its_reasons(org: Org) -> None:
    # given a scoring rule and a lead it applies to
    scoring(org, "行业 = 制造业", 18, [{"field": "industry", "op": "eq", "value": "制造业"}])
    lead = a_lead(org.rep_a1, industry="制造业")
    _token, secret = token_create(actor=api_actor(org.rep_a1), name="tests")
    # when the lead is read through the API
    response = Client(HTTP_AUTHORIZATION=f"Bearer {secret}").get(f"/api/v1/leads/{lead.pk}")
    # then
    body = response.json()
    assert (body["score"], body["score_reasons"]) == (18, [{"points": 18, "text": "行业 = 制造业"}])
    assert (body["assignment_rule_id"], body["assignment_reason"]) == (None, "")


def test_the_score_is_capped_at_100(org: Org) -> None:
    scoring(org, "Has email", 70, [{"field": "has_email", "op": "is", "value": True}])
    scoring(org, "Has mobile", 60, [{"field": "has_mobile", "op": "is", "value": True}])
    lead = a_lead(org.rep_a1)
    lead.refresh_from_db()
    assert (lead.score, [reason["points"] for reason in lead.score_reasons]) == (100, [70, 60])
