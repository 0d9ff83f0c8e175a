import datetime as dt
import json
from typing import Any

import time_machine
from django.test import Client

from conftest import Org
from crm.activities.models import Activity
from crm.activities.services import activity_create
from crm.core.actors import api_actor
from crm.customers.tests.factories import a_contact, a_customer
from crm.identity.models import User
from crm.identity.services import token_create

NOW = dt.datetime(2025, 3, 12, 2, 0, tzinfo=dt.UTC)


def api_client(user: User) -> Client:
    _token, secret = token_create(actor=api_actor(user), name="tests")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    client.cookies["crm_language"] = "en"
    return client


def send(client: Client, method: str, path: str, payload: Any = None) -> tuple[int, Any]:
    body = json.dumps(payload) if payload is not None else None
    response = getattr(client, method)(path, data=body, content_type="application/json")
    return response.status_code, (response.json() if response.content else None)


def test_create_activity_logs_a_follow_up_on_a_visible_customer(org: Org) -> None:
    # given a rep's customer and contact
    customer = a_customer(org.rep_a1)
    contact = a_contact(org.rep_a1, customer)

    # when the rep posts a follow-up
    with time_machine.travel(NOW, tick=False):
        status, body = send(
            api_client(org.rep_a1),
            "post",
            "/api/v1/activities",
            {
                "customer_id": customer.pk,
                "contact_id": contact.pk,
                "kind": "meeting",
                "content": "评审了技术方案",
                "next_step": "发报价",
                "next_contact_on": "2025-03-14",
            },
        )

    # then it is created with the rep as author
    assert status == 201
    activity = Activity.objects.get()
    assert body["id"] == activity.pk
    assert (body["customer_id"], body["contact_id"], body["kind"]) == (customer.pk, contact.pk, "meeting")
    assert (body["content"], body["next_contact_on"], body["is_next_contact_done"]) == (
        "评审了技术方案",
        "2025-03-14",
        False,
    )
    assert body["owner_id"] == org.rep_a1.pk
    assert dt.datetime.fromisoformat(body["occurred_at"]) == NOW


def test_create_activity_on_a_customer_the_user_cannot_see_is_422_on_customer(org: Org) -> None:
    # given a customer of another team
    customer = a_customer(org.rep_b1)

    # when rep_a1 posts a follow-up on it
    status, body = send(
        api_client(org.rep_a1), "post", "/api/v1/activities", {"customer_id": customer.pk, "content": "电话"}
    )

    # then the customer field is refused and nothing is stored
    assert status == 422
    assert body["errors"] == [{"field": "customer", "message": "Choose a customer you can see."}]
    assert Activity.all_objects.count() == 0


def test_create_activity_with_bad_fields_is_422_naming_them(org: Org) -> None:
    # given a rep's customer
    customer = a_customer(org.rep_a1)

    # when a follow-up has an unknown type and empty content
    status, body = send(
        api_client(org.rep_a1), "post", "/api/v1/activities", {"customer_id": customer.pk, "kind": "fax", "content": ""}
    )

    # then both fields are named
    assert status == 422
    assert [error["field"] for error in body["errors"]] == ["kind", "content"]


def test_list_activities_filters_by_customer_and_pages(org: Org) -> None:
    # given three follow-ups on one customer an hour apart and one on another customer
    customer = a_customer(org.rep_a1, name="客户甲")
    other = a_customer(org.rep_a1, name="客户乙")
    actor = org.actor(org.rep_a1)
    made = []
    for hours in (3, 2, 1):
        with time_machine.travel(NOW - dt.timedelta(hours=hours), tick=False):
            made.append(activity_create(actor=actor, values={"customer_id": customer.pk, "content": f"第{hours}次"}))
    activity_create(actor=actor, values={"customer_id": other.pk, "content": "别的客户"})
    client = api_client(org.rep_a1)

    # when the customer's follow-ups are read two at a time
    status, first = send(client, "get", f"/api/v1/activities?customer_id={customer.pk}&limit=2")
    status2, second = send(
        client, "get", f"/api/v1/activities?customer_id={customer.pk}&limit=2&cursor={first['next_cursor']}"
    )

    # then they come newest first over two pages
    assert (status, status2) == (200, 200)
    assert [item["id"] for item in first["items"]] == [made[2].pk, made[1].pk]
    assert [item["id"] for item in second["items"]] == [made[0].pk]
    assert second["next_cursor"] is None


def test_get_update_and_delete_activity(org: Org) -> None:
    # given a rep's follow-up
    customer = a_customer(org.rep_a1)
    activity = activity_create(actor=org.actor(org.rep_a1), values={"customer_id": customer.pk, "content": "电话"})
    client = api_client(org.rep_a1)

    # when it is read, changed, changed again from a stale version, and deleted
    status, read = send(client, "get", f"/api/v1/activities/{activity.pk}")
    assert (status, read["content"]) == (200, "电话")
    status, changed = send(
        client, "patch", f"/api/v1/activities/{activity.pk}", {"version": 1, "content": "电话沟通预算"}
    )
    assert (status, changed["content"], changed["version"]) == (200, "电话沟通预算", 2)
    status, stale = send(client, "patch", f"/api/v1/activities/{activity.pk}", {"version": 1, "content": "改"})
    assert (status, stale["code"]) == (409, "conflict")
    assert [(c["field"], c["old"], c["new"]) for c in stale["changes"]] == [("content", "电话", "电话沟通预算")]
    status, _body = send(client, "delete", f"/api/v1/activities/{activity.pk}")

    # then the delete worked and the follow-up is no longer found
    assert status == 204
    assert send(client, "get", f"/api/v1/activities/{activity.pk}")[0] == 404


def test_an_activity_on_a_hidden_customer_is_404(org: Org) -> None:
    # given a follow-up on rep_b1's customer
    customer = a_customer(org.rep_b1)
    activity = activity_create(actor=org.actor(org.rep_b1), values={"customer_id": customer.pk, "content": "电话"})

    # when rep_a1 reads, changes or deletes it
    client = api_client(org.rep_a1)
    answers = [
        send(client, "get", f"/api/v1/activities/{activity.pk}")[0],
        send(client, "patch", f"/api/v1/activities/{activity.pk}", {"version": 1, "content": "改"})[0],
        send(client, "delete", f"/api/v1/activities/{activity.pk}")[0],
    ]

    # then each is a 404 and nothing changed
    assert answers == [404, 404, 404]
    activity.refresh_from_db()
    assert (activity.content, activity.deleted_at) == ("电话", None)
