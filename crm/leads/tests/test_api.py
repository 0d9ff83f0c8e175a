import json
from typing import Any

from django.test import Client

from conftest import Org
from crm.core.actors import api_actor
from crm.customers.models import Contact, Customer
from crm.customers.tests.factories import a_customer
from crm.identity.models import User
from crm.identity.services import token_create
from crm.leads.models import Lead
from crm.leads.services import lead_update
from crm.leads.tests.factories import a_lead

ERROR_KEYS = {"detail", "code", "errors"}


def api_client(user: User) -> Client:
    _token, secret = token_create(actor=api_actor(user), name="tests")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    client.cookies["crm_language"] = "en"
    return client


def send(client: Client, method: str, path: str, payload: Any = None) -> tuple[int, Any]:
    body = json.dumps(payload) if payload is not None else None
    response = getattr(client, method)(path, data=body, content_type="application/json")
    return response.status_code, (response.json() if response.content else None)


def test_create_lead_returns_201_with_the_stored_lead(org: Org) -> None:
    # given a rep with a token
    client = api_client(org.rep_a1)

    # when they post a lead from a web form integration
    status, body = send(
        client,
        "post",
        "/api/v1/leads",
        {
            "name": "陈静",
            "company_name": "成都天府软件园有限公司",
            "mobile": "139-1234-5678",
            "email": "Chen.Jing@TIANFU.cn",
            "campaign": "2026 春季官网",
            "raw_submission": {"来源页面": "/trial"},
        },
    )

    # then it is stored clean, with the API as the channel
    assert status == 201
    lead = Lead.objects.get()
    assert body["id"] == lead.pk
    assert (body["name"], body["mobile"], body["email"]) == ("陈静", "13912345678", "chen.jing@tianfu.cn")
    assert (body["channel"], body["status"], body["version"]) == ("api", "new", 1)
    assert body["raw_submission"] == {"来源页面": "/trial"}
    assert body["owner"] == {"id": org.rep_a1.pk, "name": "张伟"}


def test_create_lead_with_bad_fields_is_422_naming_them(org: Org) -> None:
    status, body = send(api_client(org.rep_a1), "post", "/api/v1/leads", {"name": "陈静", "mobile": "12", "email": "x"})
    assert status == 422
    assert set(body) == ERROR_KEYS
    assert sorted(error["field"] for error in body["errors"]) == ["email", "mobile"]
    assert Lead.all_objects.count() == 0


def test_get_list_and_masking_follow_the_visibility_rule(org: Org) -> None:
    # given a rep's lead
    lead = a_lead(org.rep_a1)

    # then the owner reads it in full, a rep of another team gets 404, and finance sees it masked
    assert send(api_client(org.rep_a1), "get", f"/api/v1/leads/{lead.pk}")[1]["mobile"] == "13912345678"
    status, body = send(api_client(org.rep_b1), "get", f"/api/v1/leads/{lead.pk}")
    assert (status, body["code"]) == (404, "not_found")
    status, body = send(api_client(org.finance), "get", "/api/v1/leads")
    assert status == 200
    assert [item["id"] for item in body["items"]] == [lead.pk]
    assert "12345678" not in body["items"][0]["mobile"]
    assert "wang.jianguo" not in body["items"][0]["email"]
    assert send(api_client(org.rep_b1), "get", "/api/v1/leads")[1] == {"items": [], "next_cursor": None}


def test_list_filters_and_cursor(org: Org) -> None:
    # given three leads, two from an event
    for name, channel in (("甲", "event"), ("乙", "event"), ("丙", "web_form")):
        a_lead(org.rep_a1, name=name, channel=channel)
    client = api_client(org.rep_a1)

    # when the event leads are read one at a time by name
    first = send(client, "get", "/api/v1/leads?channel=event&sort=name&limit=1")[1]
    second = send(client, "get", f"/api/v1/leads?channel=event&sort=name&limit=1&cursor={first['next_cursor']}")[1]

    # then each page holds the next one
    assert [item["name"] for item in first["items"] + second["items"]] == ["乙", "甲"]
    assert second["next_cursor"] is None


def test_patch_with_a_stale_version_is_409(org: Org) -> None:
    # given a lead someone changed after the client read version 1
    lead = a_lead(org.rep_a1)
    lead_update(actor=api_actor(org.rep_a1), lead_id=lead.pk, version=1, values={"title": "总经理"})

    # when the client patches with version 1
    status, body = send(api_client(org.rep_a1), "patch", f"/api/v1/leads/{lead.pk}", {"version": 1, "title": "CEO"})

    # then it gets a conflict listing the change
    assert status == 409
    assert body["code"] == "conflict"
    assert [(c["field"], c["new"]) for c in body["changes"]] == [("title", "总经理")]


def test_patch_with_the_current_version_saves(org: Org) -> None:
    lead = a_lead(org.rep_a1)
    status, body = send(api_client(org.rep_a1), "patch", f"/api/v1/leads/{lead.pk}", {"version": 1, "title": "CEO"})
    assert status == 200
    assert (body["title"], body["version"]) == ("CEO", 2)


def test_status_needs_a_reason_for_unqualified(org: Org) -> None:
    # given a lead
    lead = a_lead(org.rep_a1)
    client = api_client(org.rep_a1)

    # when it is marked unqualified without, then with a reason
    status, body = send(client, "post", f"/api/v1/leads/{lead.pk}/status", {"status": "unqualified"})
    assert status == 422
    assert [error["field"] for error in body["errors"]] == ["unqualified_reason"]
    status, body = send(client, "post", f"/api/v1/leads/{lead.pk}/status", {"status": "unqualified", "reason": "重复"})

    # then the second succeeds
    assert status == 200
    assert (body["status"], body["unqualified_reason"]) == ("unqualified", "重复")


def test_convert_creates_customer_and_contact_and_refuses_a_second_time(org: Org) -> None:
    # given a lead
    lead = a_lead(org.rep_a1)
    client = api_client(org.rep_a1)

    # when it is converted
    status, body = send(client, "post", f"/api/v1/leads/{lead.pk}/convert", {})

    # then it links the new customer and contact
    assert status == 200
    assert body["status"] == "converted"
    assert body["converted_customer_id"] == Customer.objects.get().pk
    assert body["converted_contact_id"] == Contact.objects.get().pk
    # and a second conversion is refused
    status, body = send(client, "post", f"/api/v1/leads/{lead.pk}/convert", {})
    assert (status, body["detail"]) == (422, "This lead has already been converted.")


def test_convert_into_an_existing_customer(org: Org) -> None:
    customer = a_customer(org.rep_a1)
    lead = a_lead(org.rep_a1)
    status, body = send(
        api_client(org.rep_a1), "post", f"/api/v1/leads/{lead.pk}/convert", {"customer_id": customer.pk}
    )
    assert status == 200
    assert body["converted_customer_id"] == customer.pk
    assert Customer.objects.count() == 1


def test_delete_and_restore(org: Org) -> None:
    lead = a_lead(org.rep_a1)
    client = api_client(org.rep_a1)
    assert send(client, "delete", f"/api/v1/leads/{lead.pk}") == (204, None)
    assert send(client, "get", f"/api/v1/leads/{lead.pk}")[0] == 404
    status, body = send(client, "post", f"/api/v1/leads/{lead.pk}/restore")
    assert (status, body["id"]) == (200, lead.pk)
