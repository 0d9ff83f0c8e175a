"""The deals API: create, read, patch with version, move with 409/422 and the missing items, close, reopen."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import Org
from crm.customers.tests.factories import a_customer
from crm.customers.tests.test_api import ERROR_KEYS, api_client, send
from crm.deals.models import CloseReason, StageChange
from crm.deals.tests.factories import a_deal, stage_named


def test_create_and_get_deal(org: Org) -> None:
    # given a rep's customer
    customer = a_customer(org.rep_a1, name="苏州精工机械有限公司")
    client = api_client(org.rep_a1)

    # when the rep opens a deal
    status, body = send(
        client,
        "post",
        "/api/v1/deals",
        {
            "name": "MES 系统项目",
            "customer_id": customer.pk,
            "amount": "380000.50",
            "collaborator_ids": [org.rep_a2.pk],
        },
    )

    # then it starts in the first stage with the stage's probability
    assert status == 201
    assert (body["name"], body["stage"]["name"], body["status"], body["probability"]) == (
        "MES 系统项目",
        "初步沟通",
        "open",
        10,
    )
    assert body["amount"] == "380000.50"
    assert body["currency"] == "CNY"
    assert body["collaborators"] == [{"id": org.rep_a2.pk, "name": "李娜"}]
    status, fetched = send(client, "get", f"/api/v1/deals/{body['id']}")
    assert (status, fetched["id"]) == (200, body["id"])


def test_patch_with_a_stale_version_is_409(org: Org) -> None:
    # given a deal changed since the client read it
    deal = a_deal(org.rep_a1)
    client = api_client(org.rep_a1)
    send(client, "patch", f"/api/v1/deals/{deal.pk}", {"version": deal.version, "amount": "200000"})

    # when the client patches from the old version
    status, body = send(client, "patch", f"/api/v1/deals/{deal.pk}", {"version": deal.version, "amount": "1"})

    # then it is a conflict in the one error shape
    assert status == 409
    assert body.keys() >= ERROR_KEYS
    assert body["code"] == "conflict"
    assert body["stage"] == "初步沟通"


def test_patch_with_a_bad_amount_is_422_naming_the_field(org: Org) -> None:
    deal = a_deal(org.rep_a1)
    status, body = send(api_client(org.rep_a1), "patch", f"/api/v1/deals/{deal.pk}", {"version": 1, "amount": "-5"})
    assert status == 422
    assert body["errors"] == [{"field": "amount", "message": "Enter an amount between 0 and 99,999,999,999,999.99."}]


def test_move_with_missing_requirements_is_422_listing_them(org: Org) -> None:
    # given a deal without budget or ticks
    deal = a_deal(org.rep_a1)

    # when the client moves it forward
    status, body = send(
        api_client(org.rep_a1),
        "post",
        f"/api/v1/deals/{deal.pk}/move",
        {"version": deal.version, "stage_id": stage_named("需求确认").pk},
    )

    # then the response lists what is missing
    assert status == 422
    assert body["code"] == "stage_requirements_missing"
    assert [item["kind"] for item in body["missing"]] == ["field", "checklist", "checklist"]
    assert body["may_override"] is False
    assert body["errors"] == [{"field": "budget", "message": "Fill in: Customer budget"}]


def test_move_not_in_the_table_is_422_move_not_allowed(org: Org) -> None:
    deal = a_deal(org.rep_a1)
    status, body = send(
        api_client(org.rep_a1),
        "post",
        f"/api/v1/deals/{deal.pk}/move",
        {"version": deal.version, "stage_id": stage_named("签约").pk},
    )
    assert (status, body["code"]) == (422, "move_not_allowed")


def test_move_with_a_stale_version_is_409(org: Org) -> None:
    deal = a_deal(org.rep_a1)
    status, body = send(
        api_client(org.rep_a1),
        "post",
        f"/api/v1/deals/{deal.pk}/move",
        {"version": deal.version + 3, "stage_id": stage_named("输单").pk},
    )
    assert (status, body["code"]) == (409, "conflict")


def test_lost_then_reopen(org: Org) -> None:
    # given an open deal and a lost reason
    deal = a_deal(org.rep_a1)
    reason = CloseReason.objects.get(kind="lost", name="价格过高")
    client = api_client(org.rep_a1)

    # when it is marked lost to a competitor and reopened
    status, lost = send(
        client,
        "post",
        f"/api/v1/deals/{deal.pk}/lost",
        {"version": deal.version, "reason_id": reason.pk, "competitor": "销售易"},
    )
    status_reopen, reopened = send(client, "post", f"/api/v1/deals/{deal.pk}/reopen", {"version": lost["version"]})

    # then both succeed and the history holds both moves
    assert (status, lost["status"], lost["close_reason"]["name"], lost["competitor"]) == (
        200,
        "lost",
        "价格过高",
        "销售易",
    )
    assert (status_reopen, reopened["status"], reopened["stage"]["name"]) == (200, "open", "初步沟通")
    assert StageChange.objects.filter(deal=deal).count() == 3


def test_a_hidden_deal_is_404(org: Org) -> None:
    deal = a_deal(org.rep_a1)
    status, body = send(api_client(org.rep_n1), "get", f"/api/v1/deals/{deal.pk}")
    assert (status, body["code"]) == (404, "not_found")


def test_list_deals_filters_and_pages(org: Org) -> None:
    # given three deals of one rep
    customer = a_customer(org.rep_a1)
    for amount in ("1000", "2000", "3000"):
        a_deal(org.rep_a1, customer, amount=amount)
    client = api_client(org.rep_a1)

    # when listing by amount two at a time
    status, first = send(client, "get", "/api/v1/deals?sort=-amount&limit=2&status=open")
    _status, second = send(client, "get", f"/api/v1/deals?sort=-amount&limit=2&cursor={first['next_cursor']}")

    # then the pages follow each other
    assert status == 200
    assert [d["amount"] for d in first["items"]] == ["3000.00", "2000.00"]
    assert [d["amount"] for d in second["items"]] == ["1000.00"]
    assert second["next_cursor"] is None


def test_list_pipelines_shows_stages_and_moves(org: Org) -> None:
    status, body = send(api_client(org.rep_a1), "get", "/api/v1/pipelines")
    assert status == 200
    stages = body[0]["stages"]
    assert [s["name"] for s in stages] == ["初步沟通", "需求确认", "方案报价", "合同谈判", "签约", "输单"]
    by_name = {s["name"]: s for s in stages}
    assert sorted(by_name["合同谈判"]["moves_to"]) == sorted(
        by_name[name]["id"] for name in ("初步沟通", "需求确认", "方案报价", "签约", "输单")
    )
    assert by_name["方案报价"]["required_evidence"] == ["decision_maker_meeting"]


def test_list_deals_uses_the_same_number_of_queries_for_5_and_30_deals(org: Org) -> None:
    # given a client and a growing number of deals
    client = api_client(org.rep_a1)
    customer = a_customer(org.rep_a1)
    counts = []
    for batch in (5, 25):
        for number in range(batch):
            a_deal(org.rep_a1, customer, name=f"项目 {number}")
        send(client, "get", "/api/v1/deals")
        with CaptureQueriesContext(connection) as captured:
            status, body = send(client, "get", "/api/v1/deals")
        assert status == 200
        counts.append(len(captured.captured_queries))

    # then the count does not grow with the rows (a full page of 25 the second time)
    assert len(body["items"]) == 25
    assert counts[0] == counts[1]
