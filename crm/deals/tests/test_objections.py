"""Objections (异议): logging them on a deal, and the analysis of what follows them."""

from __future__ import annotations

import pytest
from django.test import Client

from conftest import PASSWORD, Org
from crm.core.errors import NotFound, ValidationFailed
from crm.customers.tests.test_api import api_client, send
from crm.deals.models import ChecklistItem, ObjectionType
from crm.deals.selectors import objection_analysis
from crm.deals.services import checklist_tick, deal_move, deal_update, objection_log, objection_set_outcome
from crm.deals.tests.factories import a_deal, default_pipeline, stage_named


def _price() -> ObjectionType:
    return ObjectionType.objects.get(name="价格太高")


def test_an_objection_is_recorded_at_the_deals_current_stage(org: Org) -> None:
    deal = a_deal(org.rep_a1)
    objection = objection_log(
        actor=org.actor(org.rep_a1),
        deal_id=deal.pk,
        values={"kind_id": _price().pk, "customer_words": "比友商贵了 20%", "response": "强调三年总拥有成本更低"},
    )
    assert (objection.stage.name, objection.kind.name, objection.outcome) == ("初步沟通", "价格太高", "open")
    assert objection.logged_by == org.rep_a1


def test_an_objection_needs_the_customers_words_and_a_type(org: Org) -> None:
    deal = a_deal(org.rep_a1)
    with pytest.raises(ValidationFailed) as refused:
        objection_log(actor=org.actor(org.rep_a1), deal_id=deal.pk, values={"kind_id": "", "customer_words": " "})
    assert [e.field for e in refused.value.errors] == ["customer_words", "kind_id"]


def test_only_people_who_may_change_the_deal_record_objections(org: Org) -> None:
    deal = a_deal(org.rep_a1, collaborator_ids=[org.rep_b1.pk])
    objection = objection_log(
        actor=org.actor(org.rep_b1), deal_id=deal.pk, values={"kind_id": _price().pk, "customer_words": "太贵"}
    )
    # a team mate who cannot see the deal gets the same answer as for a missing one
    with pytest.raises(NotFound):
        objection_set_outcome(actor=org.actor(org.rep_a2), objection_id=objection.pk, outcome="resolved")


def test_analysis_counts_objections_per_stage_and_progress_after_them(org: Org) -> None:
    # given two deals with a price objection in 初步沟通; only the first moves on afterwards
    actor = org.actor(org.rep_a1)
    moved, stuck = a_deal(org.rep_a1), a_deal(org.rep_a1)
    for deal in (moved, stuck):
        objection_log(
            actor=actor,
            deal_id=deal.pk,
            values={"kind_id": _price().pk, "customer_words": "太贵", "response": "分期付款", "outcome": "resolved"},
        )
    moved = deal_update(actor=actor, deal_id=moved.pk, version=moved.version, values={"budget": "100000"})
    for item in ChecklistItem.objects.filter(stage=stage_named("需求确认")):
        checklist_tick(actor=actor, deal_id=moved.pk, item_id=item.pk, ticked=True)
    deal_move(actor=actor, deal_id=moved.pk, version=moved.version, stage_id=stage_named("需求确认").pk)

    # when the analysis is read
    analysis = objection_analysis(viewer=actor, pipeline_id=default_pipeline().pk)

    # then the price objection shows twice in 初步沟通, half followed by progress
    assert [
        (r["stage__name"], r["kind__name"], r["count"], r["resolved"], r["progress_rate"]) for r in analysis["by_stage"]
    ] == [("初步沟通", "价格太高", 2, 2, 50)]
    assert [(r["response"], r["count"], r["progress_rate"]) for r in analysis["by_response"]] == [("分期付款", 2, 50)]
    # and another region's rep sees none of it
    assert objection_analysis(viewer=org.actor(org.rep_n1), pipeline_id=None)["by_stage"] == []


def test_objections_through_the_api_and_the_pages(org: Org, client: Client) -> None:
    deal = a_deal(org.rep_a1)
    status, body = send(
        api_client(org.rep_a1),
        "post",
        f"/api/v1/deals/{deal.pk}/objections",
        {"kind_id": _price().pk, "customer_words": "预算只有一半"},
    )
    assert (status, body["kind"]["name"], body["outcome"]) == (201, "价格太高", "open")
    client.login(username="rep_a1", password=PASSWORD)
    assert "预算只有一半" in client.get(f"/deals/{deal.pk}/").content.decode()
    assert "价格太高" in client.get("/deals/objections/").content.decode()
