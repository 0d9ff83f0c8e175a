"""Channel quality: exact numbers on fixed data, visibility, the page, the API and query counts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conftest import Org
from crm.core.actors import api_actor, web_actor
from crm.identity.models import User
from crm.identity.services import token_create
from crm.leads.channel_quality import channel_quality
from crm.leads.models import Lead
from crm.leads.tests.factories import a_lead

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


def a_lead_at(owner: User, *, status: str = "new", contact_after: int | None = None, **values: Any) -> Lead:
    """A lead created at START whose first contact and conversion happened the given hours later."""
    converted_after = values.pop("converted_after", None)
    lead = a_lead(owner, **values)
    Lead.objects.filter(pk=lead.pk).update(
        created_at=START,
        status=status,
        first_contacted_at=START + contact_after * HOUR if contact_after is not None else None,
        converted_at=START + converted_after * HOUR if converted_after is not None else None,
    )
    return lead


@pytest.fixture
def history(org: Org) -> None:
    summit: dict[str, Any] = {"channel": "web_form", "campaign": "2026 春季峰会"}
    a_lead_at(org.rep_a1, status="converted", contact_after=2, converted_after=26, **summit)
    a_lead_at(org.rep_a1, status="qualified", contact_after=4, **summit)
    a_lead_at(org.rep_a1, status="unqualified", contact_after=6, **summit)
    a_lead_at(org.rep_a1, **summit)
    expo: dict[str, Any] = {"channel": "event", "campaign": "上海工博会"}
    a_lead_at(org.rep_a1, status="contacted", contact_after=1, **expo)
    a_lead_at(org.rep_a1, **expo)
    a_lead_at(org.rep_n1, channel="manual", campaign="")
    # Outside the period: created a month earlier.
    old = a_lead(org.rep_a1, channel="web_form", campaign="2026 春季峰会")
    Lead.objects.filter(pk=old.pk).update(created_at=START - dt.timedelta(days=30))


def test_the_numbers_per_channel_are_exact(org: Org, history: None) -> None:
    # when the director asks for March
    rows = channel_quality(
        viewer=web_actor(org.director), by="channel", created_from=dt.date(2026, 3, 1), created_to=dt.date(2026, 3, 31)
    )
    # then each channel shows its counts, rates and median times
    assert [(r.key, r.leads, r.qualified, r.converted, r.contacted) for r in rows] == [
        ("web_form", 4, 2, 1, 3),
        ("event", 2, 0, 0, 1),
        ("manual", 1, 0, 0, 0),
    ]
    web = rows[0]
    assert (web.qualified_rate, web.conversion_rate) == (0.5, 0.25)
    assert (web.median_first_contact, web.median_conversion) == (4 * HOUR, 26 * HOUR)
    assert (rows[1].median_first_contact, rows[1].median_conversion) == (HOUR, None)
    assert (rows[2].median_first_contact, rows[2].qualified_rate) == (None, 0.0)


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def test_times_are_medians_that_one_slow_lead_does_not_drag(org: Org) -> None:
    # given referral leads first contacted after 3, 1, 200 and 2 hours (an even count), three of
    # them converted after 500, 10 and 20 hours (an odd count), and event leads contacted after
    # 7 and 5 hours
    contacts, conversions = [3, 1, 200, 2], [500, 10, 20, None]
    for contact_after, converted_after in zip(contacts, conversions, strict=True):
        a_lead_at(
            org.rep_a1,
            status="converted" if converted_after else "contacted",
            contact_after=contact_after,
            converted_after=converted_after,
            channel="referral",
            campaign="老客户推荐",
        )
    for contact_after in (7, 5):
        a_lead_at(org.rep_a1, status="contacted", contact_after=contact_after, channel="event", campaign="")

    # when the report is asked for by channel and by campaign
    by_channel = {r.key: r for r in channel_quality(viewer=web_actor(org.director), by="channel")}
    (campaign,) = channel_quality(viewer=web_actor(org.director), by="campaign")

    # then each time is the median: the mean of the two middle values for an even count
    referral = by_channel["referral"]
    assert referral.median_first_contact == _median([3, 1, 200, 2]) * HOUR == 2.5 * HOUR
    assert referral.median_conversion == _median([500, 10, 20]) * HOUR == 20 * HOUR
    assert (by_channel["event"].median_first_contact, by_channel["event"].median_conversion) == (6 * HOUR, None)
    assert (campaign.median_first_contact, campaign.median_conversion) == (2.5 * HOUR, 20 * HOUR)


def test_the_numbers_per_campaign_leave_out_leads_without_one(org: Org, history: None) -> None:
    rows = channel_quality(
        viewer=web_actor(org.director), by="campaign", created_from=dt.date(2026, 3, 1), created_to=dt.date(2026, 3, 31)
    )
    assert [(r.label, r.leads, r.converted) for r in rows] == [("2026 春季峰会", 4, 1), ("上海工博会", 2, 0)]


def test_without_a_period_every_lead_counts(org: Org, history: None) -> None:
    rows = channel_quality(viewer=web_actor(org.director), by="campaign")
    assert [(r.label, r.leads) for r in rows] == [("2026 春季峰会", 5), ("上海工博会", 2)]


def test_a_rep_counts_only_the_leads_they_may_see(org: Org, history: None) -> None:
    mine = channel_quality(viewer=web_actor(org.rep_a1), by="channel", created_from=dt.date(2026, 3, 1))
    others = channel_quality(viewer=web_actor(org.rep_b1), by="channel", created_from=dt.date(2026, 3, 1))
    assert [(r.key, r.leads) for r in mine] == [("web_form", 4), ("event", 2)]
    assert others == []


def test_the_page_shows_both_tables_for_the_chosen_period(org: Org, history: None) -> None:
    client = Client()
    client.force_login(org.director)
    response = client.get("/leads/channels/?created_from=2026-03-01&created_to=2026-03-31")
    assert response.status_code == 200
    body = response.content.decode()
    assert [by for by, _rows in response.context["tables"]] == ["channel", "campaign"]
    assert "50.0%" in body
    assert "26 小时" in body or "1 天 2 小时" in body


def test_the_page_defaults_to_the_last_90_days(org: Org) -> None:
    client = Client()
    client.force_login(org.rep_a1)
    response = client.get("/leads/channels/")
    assert response.status_code == 200
    assert (response.context["created_to"] - response.context["created_from"]).days == 89


def test_the_api_answers_with_hours_and_rates(org: Org, history: None) -> None:
    _token, secret = token_create(actor=api_actor(org.director), name="tests")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    response = api.get("/api/v1/leads/channel-quality?created_from=2026-03-01&created_to=2026-03-31")
    assert response.status_code == 200
    data = response.json()
    assert data["channels"][0] == {
        "key": "web_form",
        "label": "网页表单",
        "leads": 4,
        "qualified": 2,
        "converted": 1,
        "contacted": 3,
        "qualified_rate": 0.5,
        "conversion_rate": 0.25,
        "median_hours_to_first_contact": 4.0,
        "median_hours_to_conversion": 26.0,
    }
    assert [row["key"] for row in data["campaigns"]] == ["2026 春季峰会", "上海工博会"]


def test_the_api_defaults_to_the_last_90_days_too(org: Org) -> None:
    # given a lead made today and one made 90 days ago, just outside the default period
    a_lead(org.rep_a1, channel="event")
    old = a_lead(org.rep_a1, channel="web_form")
    Lead.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=90))
    _token, secret = token_create(actor=api_actor(org.director), name="tests")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    # when the API is asked without a period
    data = api.get("/api/v1/leads/channel-quality").json()
    # then it answers for the last 90 days, as the page does, and says so
    today = timezone.localdate()
    assert data["created_to"] == today.isoformat()
    assert data["created_from"] == (today - dt.timedelta(days=89)).isoformat()
    assert [(row["key"], row["leads"]) for row in data["channels"]] == [("event", 1)]


def test_the_median_of_an_even_count_is_the_mean_of_the_middle_two(org: Org) -> None:
    # given four contacted leads, first contacted 1, 2, 10 and 30 hours (and some seconds) after creation
    for hours in (1, 2, 10, 30):
        lead = a_lead_at(org.rep_a1, status="contacted", contact_after=hours, channel="event")
        Lead.objects.filter(pk=lead.pk).update(first_contacted_at=START + hours * HOUR + dt.timedelta(seconds=7))
    # when the director asks for March
    (row,) = channel_quality(
        viewer=web_actor(org.director), by="channel", created_from=dt.date(2026, 3, 1), created_to=dt.date(2026, 3, 31)
    )
    # then the median is (2 h + 10 h) / 2 plus the seven seconds, to the second, on either database
    assert row.median_first_contact is not None
    assert round(row.median_first_contact.total_seconds()) == 6 * 3600 + 7


def test_the_api_refuses_a_bad_date(org: Org) -> None:
    _token, secret = token_create(actor=api_actor(org.director), name="tests")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.get("/api/v1/leads/channel-quality?created_from=soon").status_code == 422


def _count(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


# Per table: the counts and one query per median (first contact, conversion).
@pytest.mark.parametrize(("viewer", "budget"), [("director", 10), ("east_manager", 12)])
def test_the_report_queries_do_not_grow_with_leads(org: Org, viewer: str, budget: int) -> None:
    # given a few leads, then many more across channels and campaigns
    client = Client()
    client.force_login(getattr(org, viewer))
    channels = ["web_form", "event", "referral"]
    for number in range(5):
        a_lead(org.rep_a1, channel=channels[number % 3], campaign=f"活动{number % 2}")
    client.get("/leads/channels/")
    few = _count(client, "/leads/channels/")
    for number in range(30):
        a_lead(org.rep_a2, channel=channels[number % 3], campaign=f"活动{number % 4}")
    many = _count(client, "/leads/channels/")
    # then the page costs the same number of queries
    assert few == many
    assert many <= budget
