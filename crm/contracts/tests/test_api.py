"""The contracts API: create from a won deal or a customer, list with filters, optimistic locking,
submit, terminate, files and the PDF; one error shape; 404 for contracts the caller may not see."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import Org
from crm.audit.models import AuditEntry
from crm.contracts.tests.factories import PDF_BYTES, a_contract, a_won_deal, an_accepted_quote
from crm.customers.tests.factories import a_customer
from crm.customers.tests.test_api import ERROR_KEYS, api_client, send


def test_the_contract_flow_through_the_api(org: Org) -> None:
    # given a won deal with an accepted quote
    deal = a_won_deal(org.rep_a1)
    an_accepted_quote(deal)
    rep = api_client(org.rep_a1)

    # when the rep drafts a contract from it, sets the dates and submits it (no flow: in force at once)
    status, created = send(rep, "post", "/api/v1/contracts", {"deal_id": deal.pk, "signed_on": "2026-03-01"})
    assert status == 201
    assert (created["status"], created["amount"], len(created["lines"])) == ("draft", "8012.00", 2)
    assert created["lines"][0]["total"] == "2712.00"
    status, patched = send(
        rep,
        "patch",
        f"/api/v1/contracts/{created['id']}",
        {"version": created["version"], "starts_on": "2026-03-01", "ends_on": "2027-02-28"},
    )
    assert (status, patched["ends_on"], patched["version"]) == (200, "2027-02-28", created["version"] + 1)
    status, submitted = send(rep, "post", f"/api/v1/contracts/{created['id']}/submit", {"version": patched["version"]})
    assert (status, submitted["status"]) == (200, "active")

    # then it can be terminated with a reason, and every write is in the audit log
    status, ended = send(
        rep,
        "post",
        f"/api/v1/contracts/{created['id']}/terminate",
        {"version": submitted["version"], "reason": "客户取消采购"},
    )
    assert (status, ended["status"], ended["termination_reason"]) == (200, "terminated", "客户取消采购")
    verbs = list(
        AuditEntry.objects.filter(target_type="contracts.contract", target_id=created["id"])
        .order_by("id")
        .values_list("verb", flat=True)
    )
    assert verbs[0] == "create"
    assert verbs.count("update") >= 3


def test_create_on_a_customer_with_lines_and_field_errors(org: Org) -> None:
    customer = a_customer(org.rep_a1)
    rep = api_client(org.rep_a1)

    status, created = send(
        rep,
        "post",
        "/api/v1/contracts",
        {
            "customer_id": customer.pk,
            "title": "年度维保合同",
            "amount": "12720.00",
            "lines": [{"name": "运维服务", "unit": "月", "quantity": "12", "unit_price": "1000", "tax_rate": "6"}],
        },
    )
    assert (status, created["number"][:3], created["lines"][0]["total"]) == (201, "HT-", "12720.00")

    status, body = send(
        rep,
        "post",
        "/api/v1/contracts",
        {
            "customer_id": customer.pk,
            "title": "x",
            "starts_on": "2026-05-01",
            "ends_on": "2026-04-01",
            "lines": [{"name": "", "unit_price": "-1"}],
        },
    )
    assert status == 422
    assert set(body) >= ERROR_KEYS
    assert {error["field"] for error in body["errors"]} == {"ends_on"}


def test_a_stale_version_is_a_conflict_and_a_pending_contract_is_locked(org: Org) -> None:
    from crm.contracts.tests.factories import a_manager_flow

    a_manager_flow()
    contract = a_contract(org.rep_a1)
    rep = api_client(org.rep_a1)
    send(rep, "patch", f"/api/v1/contracts/{contract.pk}", {"version": contract.version, "notes": "第一次"})

    status, body = send(
        rep, "patch", f"/api/v1/contracts/{contract.pk}", {"version": contract.version, "notes": "旧版"}
    )
    assert (status, body["code"]) == (409, "conflict")

    send(rep, "post", f"/api/v1/contracts/{contract.pk}/submit", {"version": contract.version + 1})
    status, body = send(
        rep, "patch", f"/api/v1/contracts/{contract.pk}", {"version": contract.version + 2, "notes": "x"}
    )
    assert (status, body["code"]) == (409, "contract_locked")


def test_hidden_contracts_are_404_everywhere(org: Org) -> None:
    contract = a_contract(org.rep_b1)
    rep = api_client(org.rep_a1)

    for method, path, payload in [
        ("get", f"/api/v1/contracts/{contract.pk}", None),
        ("patch", f"/api/v1/contracts/{contract.pk}", {"version": 1, "title": "x"}),
        ("post", f"/api/v1/contracts/{contract.pk}/submit", {"version": 1}),
        ("get", f"/api/v1/contracts/{contract.pk}/pdf", None),
    ]:
        status, body = send(rep, method, path, payload)
        assert (status, body["code"]) == (404, "not_found"), path


def test_list_filters_and_pages_in_constant_queries(org: Org) -> None:
    # given 30 contracts of a rep, signed on different days, and one of a colleague's
    for day in range(1, 31):
        a_contract(org.rep_a1, title=f"合同{day}", signed_on=dt.date(2026, 4, day))
    a_contract(org.rep_a2, title="同事的合同", signed_on=dt.date(2026, 4, 15))
    manager = api_client(org.east_a_manager)

    # when the manager filters to the rep and a sign-date range, page by page
    status, first = send(
        manager,
        "get",
        f"/api/v1/contracts?owner_id={org.rep_a1.pk}&signed_from=2026-04-05&signed_to=2026-04-29&limit=20",
    )
    with CaptureQueriesContext(connection) as queries:
        _status, second = send(
            manager,
            "get",
            f"/api/v1/contracts?owner_id={org.rep_a1.pk}&signed_from=2026-04-05&signed_to=2026-04-29"
            f"&limit=20&cursor={first['next_cursor']}",
        )

    # then 25 match, across two pages, in a handful of queries
    assert status == 200
    assert len(first["items"]) + len(second["items"]) == 25
    assert second["next_cursor"] is None
    assert len(queries) <= 8
    status, body = send(manager, "get", "/api/v1/contracts?status=nonsense")
    assert (status, body["errors"][0]["field"]) == (422, "status")


def test_files_upload_and_download_with_permission_checks(org: Org) -> None:
    contract = a_contract(org.rep_a1)
    rep = api_client(org.rep_a1)

    from django.core.files.uploadedfile import SimpleUploadedFile

    response = rep.post(
        f"/api/v1/contracts/{contract.pk}/attachments",
        {"file": SimpleUploadedFile("盖章版.pdf", PDF_BYTES, content_type="application/pdf")},
    )
    assert response.status_code == 201
    attachment = response.json()
    assert (attachment["file_name"], attachment["size"]) == ("盖章版.pdf", len(PDF_BYTES))

    download = rep.get(f"/api/v1/contracts/{contract.pk}/attachments/{attachment['id']}")
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF")  # type: ignore[attr-defined]

    other = api_client(org.rep_b1)
    status, body = send(other, "get", f"/api/v1/contracts/{contract.pk}/attachments/{attachment['id']}")
    assert (status, body["code"]) == (404, "not_found")

    bad = rep.post(f"/api/v1/contracts/{contract.pk}/attachments", {"file": SimpleUploadedFile("x.pdf", b"hello")})
    assert (bad.status_code, bad.json()["errors"][0]["field"]) == (422, "file")


def test_the_pdf_through_the_api(org: Org) -> None:
    contract = a_contract(org.rep_a1)

    response = api_client(org.finance).get(f"/api/v1/contracts/{contract.pk}/pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
