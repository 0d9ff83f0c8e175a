"""Contract screens: list (filters, export, query budget), detail, forms, panels, files, PDF, settings."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from conftest import PASSWORD, Org
from crm.contracts.models import Contract, ContractStatus, ContractTemplate
from crm.contracts.services import attachment_add, contract_submit
from crm.contracts.tests.factories import a_contract, a_pdf, a_won_deal, an_accepted_quote
from crm.core import clock
from crm.customers.tests.factories import a_customer
from crm.deals.tests.factories import a_deal
from crm.identity.models import User


def signed_in(user: User) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_list_query_count_does_not_grow_with_rows(org: Org) -> None:
    a_contract(org.rep_a1)
    client = signed_in(org.east_a_manager)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/contracts/").status_code == 200
    for number in range(10):
        a_contract(org.rep_a2 if number % 2 else org.rep_a1, title=f"合同{number}")
    with CaptureQueriesContext(connection) as many:
        response = client.get("/contracts/")

    assert response.content.decode().count('href="/contracts/') >= 11
    assert len(many) == len(few)


def test_list_filters_by_status_and_ending_within(org: Org) -> None:
    # given an active contract ending in 10 days and a draft ending as soon
    today = clock.today()
    active = a_contract(org.rep_a1, title="即将到期的合同", ends_on=today + dt.timedelta(days=10), starts_on=today)
    contract_submit(actor=org.actor(org.rep_a1), contract_id=active.pk, version=active.version)
    a_contract(org.rep_a1, title="草稿合同", ends_on=today + dt.timedelta(days=10), starts_on=today)
    client = signed_in(org.rep_a1)

    html = client.get("/contracts/?ending_within=30").content.decode()
    drafts = client.get("/contracts/?status=draft").content.decode()

    assert "即将到期的合同" in html
    assert "草稿合同" not in html
    assert "草稿合同" in drafts
    assert "即将到期的合同" not in drafts


def test_export_as_csv_and_xlsx_for_those_with_the_right(org: Org) -> None:
    a_contract(org.rep_a1, title="导出合同")
    assert signed_in(org.rep_a1).get("/contracts/export.csv").status_code == 403

    response = signed_in(org.finance).get("/contracts/export.csv")
    body = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    assert response.status_code == 200
    assert body.splitlines()[0].startswith("合同编号,合同名称,客户,状态")
    assert "导出合同" in body
    xlsx = signed_in(org.finance).get("/contracts/export.xlsx")
    assert (xlsx.status_code, xlsx["Content-Type"]) == (
        200,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def test_detail_shows_summary_lines_files_and_history_and_hides_from_others(org: Org) -> None:
    contract = a_contract(org.rep_a1)
    attachment_add(actor=org.actor(org.rep_a1), contract_id=contract.pk, upload=a_pdf())

    html = signed_in(org.rep_a1).get(f"/contracts/{contract.pk}/").content.decode()

    assert contract.number in html
    assert "¥120,000.00" in html
    assert 'data-testid="submit-contract"' in html
    assert "签字盖章版.pdf" in html
    assert 'data-testid="contract-history"' in html
    assert signed_in(org.rep_b1).get(f"/contracts/{contract.pk}/").status_code == 404


def test_the_payments_and_approval_slots_appear_only_when_their_apps_answer(org: Org) -> None:
    from django.urls import Resolver404, resolve

    contract = a_contract(org.rep_a1)
    html = signed_in(org.rep_a1).get(f"/contracts/{contract.pk}/").content.decode()

    for path, marker in (
        (f"/payments/contract/{contract.pk}/panel/", 'id="contract-payments"'),
        (f"/approvals/panel/contract/{contract.pk}/", 'id="contract-approval"'),
    ):
        try:
            resolve(path)
            served = True
        except Resolver404:
            served = False
        assert (marker in html) == served


def test_the_form_names_the_bad_field(org: Org) -> None:
    customer = a_customer(org.rep_a1)
    client = signed_in(org.rep_a1)

    response = client.post(
        "/contracts/new/",
        {
            "title": "维保合同",
            "customer_id": customer.pk,
            "currency": "CNY",
            "amount": "1000",
            "starts_on": "2026-05-01",
            "ends_on": "2026-04-01",
            "owner_id": org.rep_a1.pk,
        },
    )

    assert response.status_code == 200
    assert 'data-field-error="ends_on"' in response.content.decode()
    assert "结束日期不能早于开始日期。" in response.content.decode()
    assert Contract.objects.count() == 0


def test_the_deal_panel_offers_the_contract_once_the_deal_is_won(org: Org) -> None:
    # given an open and a won deal with an accepted quote
    open_deal = a_deal(org.rep_a1)
    won_deal = a_won_deal(org.rep_a1)
    an_accepted_quote(won_deal)
    client = signed_in(org.rep_a1)

    # then only the won deal offers the button, and pressing it drafts the contract
    assert 'data-testid="create-contract"' not in client.get(f"/contracts/deal/{open_deal.pk}/").content.decode()
    assert 'data-testid="create-contract"' in client.get(f"/contracts/deal/{won_deal.pk}/").content.decode()
    response = client.post(f"/contracts/deal/{won_deal.pk}/create/")
    contract = Contract.objects.get(deal=won_deal)
    assert response["Location"] == f"/contracts/{contract.pk}/edit/"
    panel = client.get(f"/contracts/deal/{won_deal.pk}/").content.decode()
    assert contract.number in panel
    assert 'data-testid="create-contract"' not in panel


def test_the_customer_card_lists_visible_contracts_with_the_amount_in_force(org: Org) -> None:
    customer = a_customer(org.rep_a1)
    active = a_contract(org.rep_a1, customer=customer, amount="50000")
    contract_submit(actor=org.actor(org.rep_a1), contract_id=active.pk, version=active.version)
    a_contract(org.rep_a1, customer=customer, title="草稿")

    html = signed_in(org.rep_a1).get(f"/contracts/customer/{customer.pk}/").content.decode()

    assert html.count('href="/contracts/') == 3  # two contracts and the "new contract" button
    assert "CNY 50,000" in html


def test_downloads_check_visibility(org: Org) -> None:
    contract = a_contract(org.rep_a1)
    attachment = attachment_add(actor=org.actor(org.rep_a1), contract_id=contract.pk, upload=a_pdf())
    url = f"/contracts/{contract.pk}/files/{attachment.pk}/"

    response = signed_in(org.rep_a1).get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content).startswith(b"%PDF")  # type: ignore[attr-defined]
    assert signed_in(org.rep_b1).get(url).status_code == 404


def test_a_broken_template_gives_a_message_not_a_500(org: Org) -> None:
    contract = a_contract(org.rep_a1)
    ContractTemplate.objects.create(name="坏模板", body="{% for %}", is_default=True)
    client = signed_in(org.rep_a1)

    response = client.get(f"/contracts/{contract.pk}/pdf/", follow=True)

    assert response.status_code == 200
    assert "合同模板无法使用" in response.content.decode()


def test_the_pdf_renders_inline(org: Org) -> None:
    contract = a_contract(org.rep_a1)

    response = signed_in(org.rep_a1).get(f"/contracts/{contract.pk}/pdf/")

    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")


def test_settings_and_templates_are_for_administrators(org: Org) -> None:
    assert signed_in(org.director).get("/contracts/settings/").status_code == 403
    admin = signed_in(org.admin)

    bad = admin.post("/contracts/settings/", {"number_pattern": "HT-{yyyy}", "renewal_notice_days": "30", "version": 1})
    assert 'data-field-error="number_pattern"' in bad.content.decode()
    good = admin.post(
        "/contracts/settings/", {"number_pattern": "XH-{yyyy}-{seq:04d}", "renewal_notice_days": "45", "version": 1}
    )
    assert good.status_code == 302
    broken = admin.post("/contracts/settings/templates/new/", {"name": "模板", "body": "{% include 'x' %}"})
    assert 'data-field-error="body"' in broken.content.decode()
    saved = admin.post(
        "/contracts/settings/templates/new/",
        {"name": "模板", "body": "<h1>{{ contract.title }}</h1>", "is_active": "on"},
    )
    assert saved.status_code == 302
    assert a_contract(org.rep_a1).number.startswith("XH-")
    assert ContractTemplate.objects.get().name == "模板"


def test_edit_is_refused_once_submitted(org: Org) -> None:
    contract = a_contract(org.rep_a1)
    contract_submit(actor=org.actor(org.rep_a1), contract_id=contract.pk, version=contract.version)
    assert Contract.objects.get(pk=contract.pk).status == ContractStatus.ACTIVE

    response = signed_in(org.rep_a1).get(f"/contracts/{contract.pk}/edit/")

    assert response.status_code == 302
