"""The payments API: money as decimal strings, one error shape, visibility, audit on every write."""

from __future__ import annotations

import datetime as dt

from conftest import Org
from crm.audit.models import AuditEntry
from crm.customers.tests.test_api import ERROR_KEYS, api_client, send
from crm.payments.tests.conftest import TODAY
from crm.payments.tests.factories import a_contract, a_payment, a_plan

TAX_ID = "91310115MA1K3YJ25T"


def test_plan_payment_reversal_and_receivables_round_trip(org: Org) -> None:
    # given an active contract of rep_a1
    contract = a_contract(org.rep_a1, amount="100000.00")
    rep = api_client(org.rep_a1)

    # when the plan is set, a payment recorded and reversed through the API
    status, plan = send(
        rep,
        "put",
        f"/api/v1/payment-plans/{contract.pk}",
        {
            "version": 0,
            "instalments": [
                {"amount": "40000.00", "due_on": "2026-05-31"},
                {"amount": "60000", "due_on": "2026-08-31"},
            ],
        },
    )
    assert status == 200
    assert [(item["number"], item["amount"], item["is_overdue"]) for item in plan["instalments"]] == [
        (1, "40000.00", True),
        (2, "60000.00", False),
    ]
    status, payment = send(
        rep,
        "post",
        "/api/v1/payments",
        {"contract_id": contract.pk, "amount": "12345.67", "received_on": "2026-06-01", "method": "online"},
    )
    assert (status, payment["amount"], payment["contract_number"]) == (201, "12345.67", contract.number)
    status, reversal = send(rep, "post", f"/api/v1/payments/{payment['id']}/reverse", {"reason": "客户退款"})
    assert (status, reversal["amount"], reversal["reverses_id"]) == (201, "-12345.67", payment["id"])

    # then the list shows both, and receivables add up, all as strings
    status, page = send(rep, "get", f"/api/v1/payments?contract={contract.pk}")
    assert [(row["amount"], row["is_reversed"]) for row in page["items"]] == [("-12345.67", False), ("12345.67", True)]
    status, report = send(rep, "get", "/api/v1/receivables?group_by=contract")
    assert report["rows"][0]["outstanding"] == "100000.00"
    assert report["rows"][0]["overdue"] == "40000.00"
    assert report["rows"][0]["ageing"]["days_0_30"] == "40000.00"
    status, overdue = send(rep, "get", "/api/v1/instalments?overdue=true")
    assert [item["number"] for item in overdue["items"]] == [1]
    # and every write left an audit entry
    assert AuditEntry.objects.filter(source="api", target_type__startswith="payments.").count() == 3


def test_overpayment_and_a_bad_plan_use_the_one_error_shape(org: Org) -> None:
    contract = a_contract(org.rep_a1, amount="1000.00")
    a_plan(contract, ("1000.00", TODAY))
    rep = api_client(org.rep_a1)

    status, body = send(
        rep,
        "post",
        "/api/v1/payments",
        {"contract_id": contract.pk, "amount": "1000.01", "received_on": "2026-06-01", "method": "cash"},
    )
    assert status == 422
    assert set(body) >= ERROR_KEYS
    assert (body["code"], body["errors"][0]["field"]) == ("overpayment", "amount")

    status, body = send(
        rep,
        "put",
        f"/api/v1/payment-plans/{contract.pk}",
        {"version": 1, "instalments": [{"amount": "999", "due_on": "2026-07-01"}]},
    )
    assert (status, body["code"]) == (422, "plan_mismatch")
    assert body["detail"] == "The instalments add up to 999.00 but the contract amount is 1000.00 (difference 1.00)."

    status, body = send(
        rep,
        "put",
        f"/api/v1/payment-plans/{contract.pk}",
        {"version": 0, "instalments": [{"amount": "1000", "due_on": "2026-07-01"}]},
    )
    assert (status, body["code"]) == (409, "conflict")


def test_invoices_through_the_api(org: Org) -> None:
    contract = a_contract(org.rep_a1, amount="1000.00")
    finance = api_client(org.finance)
    invoice = {
        "contract_id": contract.pk,
        "kind": "vat_general",
        "number": "00112233",
        "amount": "800.00",
        "issued_on": "2026-06-01",
        "title": "上海星河数据科技有限公司",
        "tax_id": TAX_ID,
    }

    status, created = send(finance, "post", "/api/v1/invoices", invoice)
    assert (status, created["amount"], created["tax_id"]) == (201, "800.00", TAX_ID)
    status, body = send(finance, "post", "/api/v1/invoices", invoice | {"number": "00112234", "amount": "200.01"})
    assert (status, body["code"]) == (422, "invoice_limit_exceeded")
    status, voided = send(finance, "post", f"/api/v1/invoices/{created['id']}/void", {"reason": "金额有误"})
    assert (status, voided["amount"], voided["voids_id"]) == (201, "-800.00", created["id"])
    status, page = send(finance, "get", f"/api/v1/invoices?contract={contract.pk}")
    assert [row["is_voided"] for row in page["items"]] == [False, True]


def test_hidden_records_are_404_and_lists_are_empty(org: Org) -> None:
    contract = a_contract(org.rep_a1)
    a_plan(contract, ("100000.00", TODAY))
    payment = a_payment(contract, "10.00", on=dt.date(2026, 6, 1))
    other = api_client(org.rep_n1)

    assert send(other, "get", f"/api/v1/payments/{payment.pk}")[0] == 404
    assert send(other, "get", f"/api/v1/payment-plans/{contract.pk}")[0] == 404
    assert send(other, "post", f"/api/v1/payments/{payment.pk}/reverse", {"reason": "x"})[0] == 404
    assert send(other, "get", "/api/v1/payments")[1]["items"] == []
    assert send(other, "get", "/api/v1/receivables")[1]["rows"] == []


def test_payment_list_keeps_its_query_count(org: Org, django_assert_max_num_queries: object) -> None:
    contract = a_contract(org.rep_a1)
    a_plan(contract, ("100000.00", TODAY))
    for day in range(1, 8):
        a_payment(contract, "100.00", on=dt.date(2026, 6, day))
    client = api_client(org.director)

    _status, first = send(client, "get", "/api/v1/payments?limit=5")
    with django_assert_max_num_queries(6):  # type: ignore[operator]
        _status, second = send(client, "get", f"/api/v1/payments?limit=5&cursor={first['next_cursor']}")

    assert len(first["items"]) + len(second["items"]) == 7
