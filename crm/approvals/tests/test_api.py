"""`/api/v1/approvals`: the queue, one approval, decisions, and the one error shape for refusals."""

from __future__ import annotations

import json
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from conftest import Org
from crm.approvals.services import approval_submit
from crm.approvals.tests.factories import KIND, a_flow, a_record, chain_step, manager_step
from crm.core.actors import api_actor
from crm.identity.models import User
from crm.identity.services import token_create

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


def test_queue_detail_and_approve_through_the_api(org: Org) -> None:
    # given a two-level approval of a rep's record
    a_flow(chain_step(2))
    record = a_record(org.rep_a1, title="华东电力 服务器采购合同")
    request = approval_submit(org.actor(org.rep_a1), kind=KIND, target=record)
    manager = api_client(org.east_a_manager)

    # when the team manager lists their queue and reads the approval
    status, page = send(manager, "get", "/api/v1/approvals")
    _status, detail = send(manager, "get", f"/api/v1/approvals/{request.pk}")

    # then it is there with its steps and the right to decide
    assert status == 200
    assert [(item["id"], item["title"], item["current_step"]) for item in page["items"]] == [
        (request.pk, "华东电力 服务器采购合同", "逐级审批 · L1")
    ]
    assert page["items"][0]["submitter"] == {"id": org.rep_a1.pk, "name": "张伟"}
    assert [(step["status"], [p["id"] for p in step["approvers"]]) for step in detail["steps"]] == [
        ("pending", [org.east_a_manager.pk]),
        ("waiting", [org.east_manager.pk]),
    ]
    assert (detail["may_decide"], detail["may_withdraw"], detail["facts"]["amount"]) == (True, False, "200000.00")

    # when they approve step 1
    status, after = send(manager, "post", f"/api/v1/approvals/{request.pk}/approve", {"comment": "同意", "step": 1})

    # then step 2 waits and the approval left their queue
    assert status == 200
    assert [step["status"] for step in after["steps"]] == ["approved", "pending"]
    assert after["steps"][0]["decided_by"]["id"] == org.east_a_manager.pk
    assert after["may_decide"] is False
    assert send(manager, "get", "/api/v1/approvals")[1]["items"] == []

    # and deciding step 1 again is a conflict in the one error shape
    status, body = send(manager, "post", f"/api/v1/approvals/{request.pk}/approve", {"step": 1})
    assert (status, body["code"]) == (403, "permission_denied")
    assert set(body) >= ERROR_KEYS


def test_reject_without_a_comment_is_422_naming_the_field(org: Org) -> None:
    a_flow(manager_step())
    request = approval_submit(org.actor(org.rep_a1), kind=KIND, target=a_record(org.rep_a1))

    status, body = send(api_client(org.east_a_manager), "post", f"/api/v1/approvals/{request.pk}/reject", {})

    assert status == 422
    assert set(body) >= ERROR_KEYS
    assert body["errors"] == [{"field": "comment", "message": "Say why you reject it."}]


def test_refusals_are_404_for_outsiders_and_403_for_onlookers(org: Org) -> None:
    # given a running approval of a rep of 上海一组
    a_flow(manager_step())
    request = approval_submit(org.actor(org.rep_a1), kind=KIND, target=a_record(org.rep_a1))

    # when a rep of another team reads or approves it, then it does not exist for them
    outsider = api_client(org.rep_n1)
    assert send(outsider, "get", f"/api/v1/approvals/{request.pk}")[0] == 404
    status, body = send(outsider, "post", f"/api/v1/approvals/{request.pk}/approve", {})
    assert (status, body["code"]) == (404, "not_found")

    # when the director, who sees the record, approves or withdraws it, then it is refused with a reason
    director = api_client(org.director)
    status, body = send(director, "post", f"/api/v1/approvals/{request.pk}/approve", {})
    assert (status, body["code"]) == (403, "permission_denied")
    assert body["detail"] == "You are not an approver of the current step of this approval."
    status, body = send(director, "post", f"/api/v1/approvals/{request.pk}/withdraw")
    assert (status, body["code"]) == (403, "permission_denied")


def test_the_submitter_withdraws_through_the_api(org: Org) -> None:
    a_flow(manager_step())
    request = approval_submit(org.actor(org.rep_a1), kind=KIND, target=a_record(org.rep_a1))

    status, body = send(api_client(org.rep_a1), "post", f"/api/v1/approvals/{request.pk}/withdraw")

    assert (status, body["status"], [s["status"] for s in body["steps"]]) == (200, "withdrawn", ["cancelled"])


def test_the_queue_costs_the_same_queries_for_few_and_many(org: Org) -> None:
    # given a manager with one waiting approval, then with six
    a_flow(manager_step())
    client = api_client(org.east_a_manager)
    approval_submit(org.actor(org.rep_a1), kind=KIND, target=a_record(org.rep_a1, title="合同 1"))
    send(client, "get", "/api/v1/approvals")  # the first request of a token also stamps its last use
    with CaptureQueriesContext(connection) as few:
        assert len(send(client, "get", "/api/v1/approvals")[1]["items"]) == 1
    for number in range(5):
        owner = org.rep_a2 if number % 2 else org.rep_a1
        approval_submit(org.actor(owner), kind=KIND, target=a_record(owner, title=f"合同 {number + 2}"))

    # when the queue is listed again
    with CaptureQueriesContext(connection) as many:
        status, page = send(client, "get", "/api/v1/approvals?limit=4")

    # then the query count does not grow with the rows, and the cursor pages on
    assert status == 200
    assert len(page["items"]) == 4
    assert len(many.captured_queries) == len(few.captured_queries)
    _status, rest = send(client, "get", f"/api/v1/approvals?limit=4&cursor={page['next_cursor']}")
    assert [item["title"] for item in rest["items"]] == ["合同 5", "合同 6"]
