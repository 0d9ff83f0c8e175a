"""Follow-ups on leads: logging them (web and API), the timeline, conversion, and engagement scoring."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import translation

from conftest import Org
from crm.activities.models import Task
from crm.audit.models import AuditEntry, Verb
from crm.core.errors import NotFound, ValidationFailed
from crm.leads.intake import leads_rescore_all
from crm.leads.models import Lead, LeadFollowUp
from crm.leads.scoring.follow_ups import follow_up_reasons
from crm.leads.scoring.rules import Reason
from crm.leads.services import lead_convert, lead_follow_up_create
from crm.leads.tests.factories import a_lead
from crm.leads.tests.test_api import api_client, send

START = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)  # 10:00 in Beijing


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def signed_in(user: Any) -> Client:
    user.language = "en"
    user.save(update_fields=["language"])
    client = Client()
    client.force_login(user)
    return client


def test_logging_a_follow_up_records_it_and_keeps_the_leads_engagement_up_to_date(org: Org) -> None:
    # given a new lead captured on Monday
    with time_machine.travel(START, tick=False):
        lead = a_lead(org.rep_a1)
    # when the rep logs a call on Wednesday, with a next contact date
    with time_machine.travel(START + dt.timedelta(days=2), tick=False):
        follow_up = lead_follow_up_create(
            actor=org.actor(org.rep_a1),
            lead_id=lead.pk,
            values={
                "kind": "call",
                "content": "  介绍了产品，客户有兴趣  ",
                "next_step": "发报价",
                "next_contact_on": "2026-03-09",
            },
        )

    # then the follow-up is stored with who logged it
    assert (follow_up.kind, follow_up.content, follow_up.owner_id, follow_up.team_id) == (
        "call",
        "介绍了产品，客户有兴趣",
        org.rep_a1.pk,
        org.east_a.pk,
    )
    # and the lead knows its first contact and last follow-up, without a version bump, and is rescored
    lead.refresh_from_db()
    wednesday = START + dt.timedelta(days=2)
    assert (lead.first_contacted_at, lead.last_followed_up_at, lead.version) == (wednesday, wednesday, 1)
    assert lead.score_reasons == [{"points": 10, "text": "followed up in the last 7 days"}]
    # and the next contact is a task for the rep, linked to the lead
    task = Task.objects.get(related_type="leads.lead", related_id=lead.pk)
    assert (task.title, task.due_on, task.owner_id) == ("发报价", dt.date(2026, 3, 9), org.rep_a1.pk)
    # and the follow-up is audited
    entry = AuditEntry.objects.get(target_type="leads.leadfollowup", target_id=follow_up.pk)
    assert (entry.verb, entry.changes["content"]) == (Verb.CREATE, [None, "介绍了产品，客户有兴趣"])


def test_bad_follow_ups_are_refused_with_the_field_named(org: Org) -> None:
    lead = a_lead(org.rep_a1)

    with pytest.raises(ValidationFailed) as refused:
        lead_follow_up_create(
            actor=org.actor(org.rep_a1),
            lead_id=lead.pk,
            values={"kind": "fax", "content": " ", "next_contact_on": "next week"},
        )

    assert {(item.field, item.message) for item in refused.value.errors} == {
        ("kind", "Choose a follow-up type."),
        ("content", "Write what happened."),
        ("next_contact_on", "Enter a date as YYYY-MM-DD."),
    }
    assert LeadFollowUp.objects.count() == 0


def test_a_rep_of_another_team_cannot_log_on_a_lead_they_do_not_see(org: Org) -> None:
    lead = a_lead(org.rep_a1)

    with pytest.raises(NotFound):
        lead_follow_up_create(actor=org.actor(org.rep_b1), lead_id=lead.pk, values={"content": "打过电话"})

    assert LeadFollowUp.objects.count() == 0


def test_a_converted_lead_takes_no_more_follow_ups(org: Org) -> None:
    lead = a_lead(org.rep_a1)
    lead_convert(actor=org.actor(org.rep_a1), lead_id=lead.pk)

    with pytest.raises(ValidationFailed) as refused:
        lead_follow_up_create(actor=org.actor(org.rep_a1), lead_id=lead.pk, values={"content": "回访"})

    assert refused.value.errors[0].field == "lead"


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        ({"days_since_follow_up": Decimal(0), "status": "new"}, [Reason(10, "followed up in the last 7 days")]),
        ({"days_since_follow_up": Decimal(3), "status": "new"}, [Reason(7, "followed up in the last 7 days")]),
        ({"days_since_follow_up": Decimal(7), "status": "contacted"}, [Reason(5, "followed up in the last 7 days")]),
        ({"days_since_follow_up": Decimal(8), "days_since_created": Decimal(40), "status": "new"}, []),
        ({"days_since_follow_up": Decimal(30), "status": "qualified"}, [Reason(-7, "no follow-up in 30 days")]),
        (
            {"days_since_follow_up": None, "days_since_created": Decimal(30), "status": "new"},
            [Reason(-7, "no follow-up in 30 days")],
        ),
        ({"days_since_follow_up": None, "days_since_created": Decimal(29), "status": "new"}, []),
        ({"days_since_follow_up": Decimal(45), "status": "unqualified"}, []),
    ],
)
def test_follow_up_points_fade_over_a_week_and_silence_costs_points(
    facts: dict[str, Any], expected: list[Reason]
) -> None:
    assert follow_up_reasons(facts) == expected


def test_the_nightly_rescore_lets_follow_up_points_fade_then_turn_negative(org: Org) -> None:
    # given a lead followed up on its first day
    with time_machine.travel(START, tick=False):
        lead = a_lead(org.rep_a1)
        lead_follow_up_create(actor=org.actor(org.rep_a1), lead_id=lead.pk, values={"content": "初次沟通"})

    def score_on(day: int) -> tuple[int, list[dict[str, Any]]]:
        with time_machine.travel(START + dt.timedelta(days=day, hours=1), tick=False):
            leads_rescore_all()
        fresh = Lead.objects.get(pk=lead.pk)
        return fresh.score, fresh.score_reasons

    # then its engagement fades over the week, is gone after it, and turns negative after 30 days
    assert score_on(3) == (7, [{"points": 7, "text": "followed up in the last 7 days"}])
    assert score_on(10) == (0, [])
    assert score_on(31) == (0, [{"points": -7, "text": "no follow-up in 30 days"}])


def test_the_lead_page_logs_a_follow_up_and_shows_it_on_the_timeline(org: Org) -> None:
    # given a lead whose status changed once
    lead = a_lead(org.rep_a1)
    client = signed_in(org.rep_a1)
    client.post(f"/leads/{lead.pk}/status/", {"status": "contacted", "version": lead.version})

    # when the rep logs a visit from the lead's page
    response = client.post(
        f"/leads/{lead.pk}/follow-ups/", {"kind": "visit", "content": "上门拜访，见了采购总监", "next_step": "安排演示"}
    )

    # then they are back on the page, which shows the visit above the status change
    assert response.status_code == 302
    page = client.get(f"/leads/{lead.pk}/").content.decode()
    assert 'data-testid="follow-up-form"' in page
    timeline = page[page.index('data-testid="lead-timeline"') :]
    assert timeline.index("上门拜访，见了采购总监") < timeline.index("New → Contacted")
    assert "Next: 安排演示" in timeline


def test_the_lead_page_shows_follow_up_errors_beside_the_fields(org: Org) -> None:
    lead = a_lead(org.rep_a1)

    response = signed_in(org.rep_a1).post(f"/leads/{lead.pk}/follow-ups/", {"kind": "call", "content": ""})

    assert response.status_code == 422
    assert 'data-field-error="content"' in response.content.decode()
    assert LeadFollowUp.objects.count() == 0


def test_the_lead_page_of_a_hidden_lead_takes_no_follow_up(org: Org) -> None:
    lead = a_lead(org.rep_a1)

    response = signed_in(org.rep_b1).post(f"/leads/{lead.pk}/follow-ups/", {"kind": "call", "content": "x"})

    assert response.status_code == 404
    assert LeadFollowUp.objects.count() == 0


def test_the_api_logs_and_lists_follow_ups(org: Org) -> None:
    # given a lead and a rep with a token
    lead = a_lead(org.rep_a1)
    client = api_client(org.rep_a1)

    # when two follow-ups are posted
    status, created = send(
        client,
        "post",
        f"/api/v1/leads/{lead.pk}/follow-ups",
        {"kind": "wechat", "content": "微信发了资料", "occurred_at": "2026-03-02T10:00:00+08:00"},
    )
    send(client, "post", f"/api/v1/leads/{lead.pk}/follow-ups", {"content": "电话确认收到"})

    # then the first comes back as stored, and the list pages newest first
    assert status == 201
    assert (created["kind"], created["content"], created["owner"]["name"]) == ("wechat", "微信发了资料", "张伟")
    assert dt.datetime.fromisoformat(created["occurred_at"]) == dt.datetime(2026, 3, 2, 2, tzinfo=dt.UTC)
    status, page = send(client, "get", f"/api/v1/leads/{lead.pk}/follow-ups?limit=1")
    assert status == 200
    assert [item["content"] for item in page["items"]] == ["电话确认收到"]
    status, rest = send(client, "get", f"/api/v1/leads/{lead.pk}/follow-ups?limit=1&cursor={page['next_cursor']}")
    assert [item["content"] for item in rest["items"]] == ["微信发了资料"]


def test_the_api_refuses_bad_input_and_hidden_leads(org: Org) -> None:
    lead = a_lead(org.rep_a1)

    status, body = send(api_client(org.rep_a1), "post", f"/api/v1/leads/{lead.pk}/follow-ups", {"content": ""})
    assert (status, body["errors"]) == (422, [{"field": "content", "message": "Write what happened."}])
    status, _body = send(api_client(org.rep_b1), "get", f"/api/v1/leads/{lead.pk}/follow-ups")
    assert status == 404


def test_after_conversion_the_customer_page_shows_the_leads_follow_ups(org: Org) -> None:
    # given a lead with a follow-up, converted
    lead = a_lead(org.rep_a1)
    lead_follow_up_create(actor=org.actor(org.rep_a1), lead_id=lead.pk, values={"kind": "meeting", "content": "需求会"})
    converted = lead_convert(actor=org.actor(org.rep_a1), lead_id=lead.pk)

    # when the customer's source-lead panel is opened
    panel = signed_in(org.rep_a1).get(f"/leads/for-customer/{converted.converted_customer_id}/").content.decode()

    # then it lists the follow-up logged on the lead
    assert 'data-testid="source-lead-follow-ups"' in panel
    assert "需求会" in panel
    # and the converted lead's own page still shows it, without the form
    page = signed_in(org.rep_a1).get(f"/leads/{lead.pk}/").content.decode()
    assert "需求会" in page
    assert 'data-testid="follow-up-form"' not in page


@pytest.mark.parametrize("follow_ups", [1, 15])
def test_the_source_lead_panel_costs_the_same_queries_for_many_follow_ups(
    org: Org, django_assert_num_queries: Any, follow_ups: int
) -> None:
    lead = a_lead(org.rep_a1)
    for number in range(follow_ups):
        lead_follow_up_create(actor=org.actor(org.rep_a1), lead_id=lead.pk, values={"content": f"跟进 {number}"})
    customer_id = lead_convert(actor=org.actor(org.rep_a1), lead_id=lead.pk).converted_customer_id
    client = signed_in(org.rep_a1)

    with django_assert_num_queries(8):
        client.get(f"/leads/for-customer/{customer_id}/")
