"""The products and quotes API: the whole quote flow, the error shape, and 404 for invisible deals."""

from __future__ import annotations

from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import Org
from crm.customers.services import contact_create
from crm.customers.tests.factories import a_customer
from crm.customers.tests.test_api import ERROR_KEYS, api_client, send
from crm.deals.tests.factories import a_deal
from crm.quotes.tests.factories import a_line, a_product, a_quote, fresh


def test_products_list_get_and_admin_only_writes(org: Org) -> None:
    # given two products, one inactive
    a_product("YZM-STD")
    retired = a_product("YZM-OLD", name="云桌面旧版", is_active=False)
    rep = api_client(org.rep_a1)
    admin = api_client(org.admin)

    # when a rep lists active products and reads one
    status, page = send(rep, "get", "/api/v1/products?active=true")
    _status, one = send(rep, "get", f"/api/v1/products/{retired.pk}")

    # then
    assert status == 200
    assert [item["sku"] for item in page["items"]] == ["YZM-STD"]
    assert (one["sku"], one["is_active"], one["list_price"]) == ("YZM-OLD", False, "1200.00")
    # and only an administrator may write
    status, body = send(rep, "post", "/api/v1/products", {"sku": "X", "name": "x", "list_price": "1"})
    assert (status, body["code"]) == (403, "permission_denied")
    status, created = send(
        admin, "post", "/api/v1/products", {"sku": "SVC-IMPL", "name": "实施服务", "unit": "人天", "list_price": "2500"}
    )
    assert (status, created["tax_rate"], created["unit"]) == (201, "13.00", "人天")
    status, patched = send(admin, "patch", f"/api/v1/products/{created['id']}", {"version": 1, "tax_rate": "6"})
    assert (status, patched["tax_rate"], patched["version"]) == (200, "6.00", 2)


def test_product_list_pages_with_a_cursor_in_constant_queries(org: Org, django_assert_max_num_queries: object) -> None:
    for number in range(30):
        a_product(f"P-{number:03d}", name=f"配件 {number}")
    client = api_client(org.rep_a1)

    _status, first = send(client, "get", "/api/v1/products?limit=20")
    with CaptureQueriesContext(connection) as queries:
        _status, second = send(client, "get", f"/api/v1/products?limit=20&cursor={first['next_cursor']}")

    assert len(first["items"]) == 20
    assert [item["sku"] for item in second["items"]] == [f"P-{n:03d}" for n in range(20, 30)]
    assert second["next_cursor"] is None
    assert len(queries) <= 6


def test_the_whole_quote_flow_through_the_api(org: Org) -> None:
    # given a rep's deal with a contact, and a product
    customer = a_customer(org.rep_a1, name="杭州明远科技有限公司")
    contact = contact_create(
        actor=org.actor(org.rep_a1), values={"customer_id": customer.pk, "name": "赵磊", "email": "zhaolei@mingyuan.cn"}
    )
    deal = a_deal(org.rep_a1, customer)
    product = a_product()
    rep = api_client(org.rep_a1)
    manager = api_client(org.east_a_manager)

    # when the rep creates a quote with a 15% line, asks approval, the manager approves, the rep sends
    status, quote = send(rep, "post", "/api/v1/quotes", {"deal_id": deal.pk, "terms": "预付 30%"})
    assert (status, quote["revision"], quote["status"], quote["lines"]) == (201, 1, "draft", [])
    status, quote = send(
        rep,
        "post",
        f"/api/v1/quotes/{quote['id']}/lines",
        {"version": quote["version"], "product_id": product.pk, "quantity": "10", "discount_percent": "15"},
    )
    assert status == 201
    assert (quote["subtotal"], quote["tax_amount"], quote["total"], quote["needs_approval"]) == (
        "10200.00",
        "1326.00",
        "11526.00",
        True,
    )
    status, refused = send(
        rep, "post", f"/api/v1/quotes/{quote['id']}/send", {"version": quote["version"], "contact_id": contact.pk}
    )
    assert (status, refused["code"], set(refused)) == (422, "approval_required", ERROR_KEYS)
    status, quote = send(rep, "post", f"/api/v1/quotes/{quote['id']}/approval-request", {"version": quote["version"]})
    assert (status, quote["status"]) == (200, "pending_approval")
    status, quote = send(
        manager, "post", f"/api/v1/quotes/{quote['id']}/approve", {"version": quote["version"], "comment": "同意"}
    )
    assert (status, quote["status"], quote["approval_comment"]) == (200, "approved", "同意")
    status, quote = send(
        rep, "post", f"/api/v1/quotes/{quote['id']}/send", {"version": quote["version"], "contact_id": contact.pk}
    )

    # then it is sent by email, and listed with the deal
    assert (status, quote["status"], quote["sent_to"]) == (200, "sent", "zhaolei@mingyuan.cn")
    assert len(mail.outbox) == 1
    status, rows = send(rep, "get", f"/api/v1/quotes?deal_id={deal.pk}")
    assert (status, [row["status"] for row in rows]) == (200, ["sent"])
    # and a new revision copies it into a draft
    status, v2 = send(rep, "post", f"/api/v1/quotes/{quote['id']}/revisions")
    assert (status, v2["revision"], v2["status"], len(v2["lines"])) == (201, 2, "draft", 1)
    line_id = v2["lines"][0]["id"]
    status, v2 = send(
        rep, "patch", f"/api/v1/quotes/{v2['id']}/lines/{line_id}", {"version": v2["version"], "discount_percent": "5"}
    )
    assert (status, v2["subtotal"], v2["needs_approval"]) == (200, "11400.00", False)
    status, v2 = send(rep, "delete", f"/api/v1/quotes/{v2['id']}/lines/{line_id}?version={v2['version']}")
    assert (status, v2["lines"], v2["total"]) == (200, [], "0.00")
    response = rep.get(f"/api/v1/quotes/{quote['id']}/pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_quotes_of_an_invisible_deal_are_404(org: Org) -> None:
    # given a quote on rep_a1's deal
    deal = a_deal(org.rep_a1)
    status, quote = send(api_client(org.rep_a1), "post", "/api/v1/quotes", {"deal_id": deal.pk})
    assert status == 201
    other = api_client(org.rep_n1)

    # then a rep of another team gets 404 everywhere, in the one error shape
    for method, path, payload in [
        ("get", f"/api/v1/quotes?deal_id={deal.pk}", None),
        ("get", f"/api/v1/quotes/{quote['id']}", None),
        ("post", "/api/v1/quotes", {"deal_id": deal.pk}),
        ("patch", f"/api/v1/quotes/{quote['id']}", {"version": quote["version"], "notes": "x"}),
        ("post", f"/api/v1/quotes/{quote['id']}/lines", {"version": quote["version"], "description": "x"}),
        ("post", f"/api/v1/quotes/{quote['id']}/revisions", None),
        ("get", f"/api/v1/quotes/{quote['id']}/pdf", None),
    ]:
        status, body = send(other, method, path, payload)
        assert (status, body["code"], set(body)) == (404, "not_found", ERROR_KEYS), path


def test_stale_version_and_bad_values_use_the_error_shape(org: Org) -> None:
    deal = a_deal(org.rep_a1)
    rep = api_client(org.rep_a1)
    _status, quote = send(rep, "post", "/api/v1/quotes", {"deal_id": deal.pk})

    status, body = send(rep, "patch", f"/api/v1/quotes/{quote['id']}", {"version": 99, "notes": "x"})
    assert (status, body["code"]) == (409, "conflict")
    status, body = send(
        rep,
        "post",
        f"/api/v1/quotes/{quote['id']}/lines",
        {"version": quote["version"], "description": "培训", "unit_price": "100", "discount_percent": "150"},
    )
    assert (status, body["code"], [e["field"] for e in body["errors"]]) == (
        422,
        "validation_failed",
        ["discount_percent"],
    )


def test_quote_approvals_are_decided_in_the_approvals_api_or_on_the_quote(org: Org) -> None:
    # given two quotes of rep_a1 with a 15% line, submitted through the quotes API
    deal = a_deal(org.rep_a1)
    rep = api_client(org.rep_a1)
    manager = api_client(org.east_a_manager)
    first, second = a_quote(deal), a_quote(deal)
    for quote in (first, second):
        a_line(quote, discount_percent="15")
        status, body = send(
            rep, "post", f"/api/v1/quotes/{quote.pk}/approval-request", {"version": fresh(quote).version}
        )
        assert (status, body["status"], body["approval_requested_by_id"]) == (200, "pending_approval", org.rep_a1.pk)

    # when the manager reads the approvals queue
    status, queue = send(manager, "get", "/api/v1/approvals")

    # then both quotes wait there, and the engine's decision applies to the quote
    assert status == 200
    assert sorted((item["kind"], item["target_id"]) for item in queue["items"]) == [
        ("quote", first.pk),
        ("quote", second.pk),
    ]
    request_id = next(item["id"] for item in queue["items"] if item["target_id"] == first.pk)
    status, _decided = send(manager, "post", f"/api/v1/approvals/{request_id}/reject", {"comment": "折扣过高"})
    assert status == 200
    status, body = send(rep, "get", f"/api/v1/quotes/{first.pk}")
    assert (body["status"], body["approval_comment"], body["approval_decided_by_id"]) == (
        "rejected",
        "折扣过高",
        org.east_a_manager.pk,
    )
    # and the quote's own reject operation gives the engine's field error, its approve the approval
    status, refused = send(manager, "post", f"/api/v1/quotes/{second.pk}/reject", {"version": fresh(second).version})
    assert (status, refused["code"], [error["field"] for error in refused["errors"]]) == (
        422,
        "validation_failed",
        ["comment"],
    )
    status, refused = send(rep, "post", f"/api/v1/quotes/{second.pk}/approve", {"version": fresh(second).version})
    assert (status, refused["code"]) == (403, "approval_not_allowed")
    status, body = send(manager, "post", f"/api/v1/quotes/{second.pk}/approve", {"version": fresh(second).version})
    assert (status, body["status"]) == (200, "approved")
