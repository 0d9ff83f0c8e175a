"""Payment screens: the contract panel (htmx), lists with filters and query budgets, the report, the customer card."""

from __future__ import annotations

import datetime as dt

from django.test import Client

from conftest import PASSWORD, Org
from crm.contracts.models import ContractStatus
from crm.identity.models import User
from crm.payments.models import Instalment, Payment
from crm.payments.tests.conftest import TODAY
from crm.payments.tests.factories import a_contract, a_payment, a_plan, money

HTMX = {"HX-Request": "true"}


def signed_in(user: User) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_panel_shows_totals_plan_and_forms_to_the_owner(org: Org) -> None:
    contract = a_contract(org.rep_a1)
    a_plan(contract, ("30000.00", dt.date(2026, 5, 31)), ("70000.00", dt.date(2026, 8, 31)))
    a_payment(contract, "10000.00")

    response = signed_in(org.rep_a1).get(f"/payments/contract/{contract.pk}/panel/", headers=HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert not html.lstrip().startswith("<!DOCTYPE")
    assert 'data-testid="payment-form"' in html
    assert "90,000.00" in html  # outstanding
    assert 'data-testid="overdue"' in html


def test_panel_is_404_for_a_hidden_contract_and_read_only_for_a_colleague(org: Org) -> None:
    contract = a_contract(org.rep_a1)

    assert signed_in(org.rep_n1).get(f"/payments/contract/{contract.pk}/panel/", headers=HTMX).status_code == 404
    html = signed_in(org.east_manager).get(f"/payments/contract/{contract.pk}/panel/", headers=HTMX).content.decode()
    assert 'data-testid="plan-editor"' in html  # a manager of the team may change it


def test_saving_a_plan_and_recording_a_payment_from_the_panel(org: Org) -> None:
    contract = a_contract(org.rep_a1, amount="5000.00")
    client = signed_in(org.rep_a1)

    response = client.post(
        f"/payments/contract/{contract.pk}/plan/",
        {
            "version": "0",
            "instalment_id": ["", ""],
            "instalment_amount": ["2000", "3000"],
            "instalment_due_on": ["2026-06-01", "2026-07-01"],
            "instalment_note": ["首付", ""],
        },
        headers=HTMX,
    )
    assert response.status_code == 200
    assert list(Instalment.objects.filter(contract=contract).values_list("amount", flat=True)) == [
        money("2000.00"),
        money("3000.00"),
    ]
    second = Instalment.objects.get(contract=contract, number=2)
    response = client.post(
        f"/payments/contract/{contract.pk}/payments/",
        {
            "amount": "500",
            "received_on": "2026-06-10",
            "method": "cheque",
            "allocation_mode": "explicit",
            f"allocate_{second.pk}": "500",
        },
        headers=HTMX,
    )
    assert response.status_code == 200
    second.refresh_from_db()
    assert second.collected == money("500.00")


def test_panel_shows_the_refusal_next_to_the_form(org: Org) -> None:
    contract = a_contract(org.rep_a1, amount="5000.00")
    client = signed_in(org.rep_a1)

    response = client.post(
        f"/payments/contract/{contract.pk}/plan/",
        {"version": "0", "instalment_id": [""], "instalment_amount": ["4000"], "instalment_due_on": ["2026-06-01"]},
        headers={**HTMX, "Accept-Language": "en"},
    )

    assert 'data-testid="panel-error"' in response.content.decode()
    assert not Instalment.objects.filter(contract=contract).exists()


def test_panel_refusals_name_the_row_and_the_field(org: Org) -> None:
    contract = a_contract(org.rep_a1, amount="5000.00")
    client = signed_in(org.rep_a1)

    plan = client.post(
        f"/payments/contract/{contract.pk}/plan/",
        {
            "version": "0",
            "instalment_id": ["", ""],
            "instalment_amount": ["2000", "3000"],
            "instalment_due_on": ["2026-06-01", ""],
            "instalment_note": ["", ""],
        },
        headers=HTMX,
    )
    a_plan(contract, ("5000.00", TODAY))
    payment = a_payment(contract, "100.00")
    reverse = client.post(f"/payments/{payment.pk}/reverse/", {"reason": " "}, headers=HTMX)

    assert "第 2 期 · 截止日期：" in plan.content.decode()
    assert "原因：" in reverse.content.decode()  # the one refused field is named in the headline
    assert not Payment.objects.filter(reverses=payment).exists()


def test_reverse_button_records_a_reversal(org: Org) -> None:
    contract = a_contract(org.rep_a1)
    a_plan(contract, ("100000.00", TODAY))
    payment = a_payment(contract, "100.00")

    response = signed_in(org.finance).post(f"/payments/{payment.pk}/reverse/", {"reason": "重复"}, headers=HTMX)

    assert response.status_code == 200
    assert Payment.objects.filter(reverses=payment).count() == 1


def test_payment_list_filters_and_query_count(org: Org, django_assert_max_num_queries: object) -> None:
    contract = a_contract(org.rep_a1)
    a_plan(contract, ("50000.00", dt.date(2026, 5, 1)), ("50000.00", TODAY))
    for day in range(1, 6):
        a_payment(contract, "100.00", on=dt.date(2026, 6, day), method="cash" if day % 2 else "online")
    client = signed_in(org.director)
    client.get("/payments/")

    with django_assert_max_num_queries(12):  # type: ignore[operator]
        response = client.get("/payments/?method=cash&overdue=1&received_from=2026-06-02")

    html = response.content.decode()
    assert html.count("<tr class") == 2  # 3rd and 5th of June
    assert "2026-06-01" not in html


def test_instalment_list_flags_overdue_and_the_receivables_page_renders(org: Org) -> None:
    contract = a_contract(org.rep_a1)
    a_plan(contract, ("40000.00", dt.date(2026, 4, 1)), ("60000.00", dt.date(2026, 9, 1)))
    draft = a_contract(org.rep_a1, status=ContractStatus.DRAFT, amount="500.00")
    a_plan(draft, ("500.00", dt.date(2026, 4, 1)))  # not signed: owes nothing yet
    client = signed_in(org.director)

    overdue = client.get("/payments/instalments/?overdue=1").content.decode()
    report = client.get("/payments/receivables/?group_by=team").content.decode()

    assert overdue.count('data-testid="overdue"') == 1
    assert "上海一组" in report
    assert "40,000.00" in report


def test_export_is_for_those_with_the_export_right(org: Org) -> None:
    contract = a_contract(org.rep_a1)
    a_plan(contract, ("100000.00", TODAY))
    a_payment(contract, "321.00")

    assert signed_in(org.rep_a1).get("/payments/export.csv").status_code == 403
    response = signed_in(org.finance).get("/payments/export.csv")
    body = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    assert "321.00" in body


def test_customer_card_shows_what_is_due_and_paid(org: Org) -> None:
    contract = a_contract(org.rep_a1)
    a_plan(contract, ("100000.00", TODAY))
    a_payment(contract, "2500.00")

    html = signed_in(org.rep_a1).get(f"/payments/customer/{contract.customer_id}/", headers=HTMX).content.decode()
    hidden = signed_in(org.rep_n1).get(f"/payments/customer/{contract.customer_id}/", headers=HTMX).content.decode()

    assert "2,500.00" in html
    assert "97,500.00" in html
    assert "2,500.00" not in hidden


def test_settings_are_for_administrators(org: Org) -> None:
    assert signed_in(org.finance).get("/payments/settings/").status_code == 403
    response = signed_in(org.admin).post(
        "/payments/settings/", {"version": "1", "allow_invoice_over_contract": "on", "manager_overdue_days": "10"}
    )
    assert response.status_code == 302


def test_a_drafts_plan_past_its_due_date_is_not_shown_overdue(org: Org) -> None:
    # given a draft contract whose first instalment's date has passed, and a signed one alike
    draft = a_contract(org.rep_a1, status=ContractStatus.DRAFT)
    signed = a_contract(org.rep_a1)
    for contract in (draft, signed):
        a_plan(contract, ("100000.00", TODAY - dt.timedelta(days=3)))
    client = signed_in(org.rep_a1)

    # when the rep opens both contracts' payment panels
    draft_page = client.get(f"/payments/contract/{draft.pk}/panel/").content.decode()
    signed_page = client.get(f"/payments/contract/{signed.pk}/panel/").content.decode()

    # then only the signed contract's instalment carries the overdue badge
    assert 'data-testid="overdue"' not in draft_page
    assert 'data-testid="overdue"' in signed_page
