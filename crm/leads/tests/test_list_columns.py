"""The lead list: per-user columns (list and export alike), the updated-date and campaign filters."""

from __future__ import annotations

import datetime as dt

from django.test import Client

from conftest import Org
from crm.audit.models import AuditEntry, Verb
from crm.core.actors import api_actor, web_actor
from crm.identity.services import token_create
from crm.leads.models import Lead
from crm.leads.tests.campaign_factories import a_campaign
from crm.leads.tests.factories import a_lead


def signed_in(org: Org, username: str) -> Client:
    client = Client()
    client.force_login(getattr(org, username))
    return client


def test_a_user_chooses_the_lead_columns_and_the_export_follows(org: Org) -> None:
    # given a lead and a user allowed to export who picks name, WeChat and the update time
    a_lead(org.rep_a1, name="周婷", wechat="zhouting_88")
    client = signed_in(org, "finance")
    saved = client.post(
        "/leads/columns/", data={"columns": ["name", "wechat", "updated_at", "bogus"], "next": "/leads/"}
    )
    # when they open the list and export it
    listed = client.get("/leads/")
    export = client.get("/leads/export.csv")
    exported = b"".join(export.streaming_content if export.streaming else [export.content]).decode("utf-8-sig")  # type: ignore[attr-defined]
    # then both show exactly those columns, remembered for this user only
    assert saved["Location"] == "/leads/"
    assert [c.key for c in listed.context["columns"]] == ["name", "wechat", "updated_at"]
    assert exported.splitlines()[0] == "姓名,微信,更新时间"
    assert "zhouting_88" in exported
    assert [c.key for c in signed_in(org, "rep_a2").get("/leads/").context["columns"]][:3] == [
        "name",
        "company_name",
        "status",
    ]


def test_the_columns_redirect_stays_inside_the_leads(org: Org) -> None:
    response = signed_in(org, "rep_a1").post("/leads/columns/", data={"columns": ["name"], "next": "//evil.example"})
    assert response["Location"] == "/leads/"


def test_the_updated_date_filter_narrows_the_list(org: Org) -> None:
    # given a lead last changed in January and one changed today
    old = a_lead(org.rep_a1, name="旧线索")
    a_lead(org.rep_a1, name="新线索")
    Lead.objects.filter(pk=old.pk).update(updated_at=dt.datetime(2026, 1, 15, 8, tzinfo=dt.UTC))
    client = signed_in(org, "rep_a1")
    # when filtering on January
    january = client.get("/leads/?updated_from=2026-01-01&updated_to=2026-01-31")
    # then only the old one is listed, and the API filters the same way
    assert [lead.name for lead, _v in january.context["rows"]] == ["旧线索"]
    recent = client.get("/leads/?updated_from=2026-02-01")
    assert [lead.name for lead, _v in recent.context["rows"]] == ["新线索"]


def test_the_campaign_filter_offers_the_campaigns(org: Org) -> None:
    a_campaign(org.admin, org.rep_a1, name="上海工博会")
    a_lead(org.rep_a1, name="周婷", campaign="上海工博会")
    a_lead(org.rep_a1, name="吴昊", campaign="")
    response = signed_in(org, "rep_a1").get("/leads/?campaign=上海工博会")
    assert response.context["campaigns"] == ["上海工博会"]
    assert [lead.name for lead, _v in response.context["rows"]] == ["周婷"]


def test_the_export_is_audited_with_the_new_filters(org: Org) -> None:
    a_lead(org.rep_a1)
    response = signed_in(org, "finance").get("/leads/export.csv?updated_from=2026-01-01")
    assert response.status_code == 200
    b"".join(response.streaming_content if response.streaming else [response.content])  # type: ignore[attr-defined]
    entry = AuditEntry.objects.filter(verb=Verb.EXPORT).get()
    assert entry.changes["filters"]["updated_from"] == "2026-01-01"
    assert web_actor(org.finance).user_id == entry.actor_id


def test_the_api_filters_on_the_updated_date_too(org: Org) -> None:
    old = a_lead(org.rep_a1, name="旧线索")
    a_lead(org.rep_a1, name="新线索")
    Lead.objects.filter(pk=old.pk).update(updated_at=dt.datetime(2026, 1, 15, 8, tzinfo=dt.UTC))
    _token, secret = token_create(actor=api_actor(org.rep_a1), name="tests")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    response = api.get("/api/v1/leads?updated_from=2026-01-01&updated_to=2026-01-31")
    assert [item["name"] for item in response.json()["items"]] == ["旧线索"]
