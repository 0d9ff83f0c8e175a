"""Invoices: tax ID checked, never above the contract amount unless the settings allow it, voided by reversal."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import Org
from crm.core.errors import PermissionDenied, ValidationFailed
from crm.payments.errors import AlreadyReversed, InvoiceLimitExceeded
from crm.payments.models import Invoice
from crm.payments.selectors import invoiced_total
from crm.payments.services.configuration import payment_settings_update
from crm.payments.services.invoicing import invoice_issue, invoice_void
from crm.payments.tests.factories import a_contract, money

TAX_ID = "91310115MA1K3YJ25T"  # a valid unified social credit code


def invoice(number: str = "04512345", amount: str = "60000.00", **values: Any) -> dict[str, Any]:
    data = {
        "kind": "vat_special",
        "number": number,
        "amount": amount,
        "issued_on": "2026-04-01",
        "title": "上海星河数据科技有限公司",
        "tax_id": TAX_ID.lower(),
    }
    data.update(values)
    return data


def test_invoice_is_recorded_with_the_normalised_tax_id(org: Org) -> None:
    contract = a_contract(org.rep_a1)

    issued = invoice_issue(actor=org.actor(org.finance), contract_id=contract.pk, values=invoice())

    assert (issued.kind, issued.amount, issued.tax_id) == ("vat_special", money("60000.00"), TAX_ID)
    assert invoiced_total(contract_id=contract.pk) == money("60000.00")


def test_bad_tax_id_and_missing_title_are_named(org: Org) -> None:
    contract = a_contract(org.rep_a1)

    with pytest.raises(ValidationFailed) as caught:
        invoice_issue(
            actor=org.actor(org.finance),
            contract_id=contract.pk,
            values=invoice(title="", tax_id="91310115MA1K3YJ25X"),
        )

    assert [error.field for error in caught.value.errors] == ["title", "tax_id"]


def test_vat_invoice_needs_a_tax_id_but_another_kind_does_not(org: Org) -> None:
    contract = a_contract(org.rep_a1)

    with pytest.raises(ValidationFailed) as caught:
        invoice_issue(actor=org.actor(org.finance), contract_id=contract.pk, values=invoice(tax_id=""))
    receipt = invoice_issue(
        actor=org.actor(org.finance), contract_id=contract.pk, values=invoice(kind="other", tax_id="")
    )

    assert caught.value.errors[0].field == "tax_id"
    assert receipt.tax_id == ""


def test_invoices_cannot_exceed_the_contract_unless_an_administrator_allows_it(org: Org) -> None:
    # given 60,000 of a 100,000 contract invoiced
    contract = a_contract(org.rep_a1)
    invoice_issue(actor=org.actor(org.finance), contract_id=contract.pk, values=invoice())

    # when 40,000.01 more is invoiced, then it is refused naming what is left
    with pytest.raises(InvoiceLimitExceeded) as caught:
        invoice_issue(actor=org.actor(org.finance), contract_id=contract.pk, values=invoice("04512346", "40000.01"))
    assert caught.value.errors[0].field == "amount"
    assert "40000.00" in caught.value.message

    # when an administrator allows it, then it is recorded
    with pytest.raises(PermissionDenied):
        payment_settings_update(
            actor=org.actor(org.finance),
            version=1,
            values={"allow_invoice_over_contract": True, "manager_overdue_days": 7},
        )
    payment_settings_update(
        actor=org.actor(org.admin), version=1, values={"allow_invoice_over_contract": True, "manager_overdue_days": 7}
    )
    invoice_issue(actor=org.actor(org.finance), contract_id=contract.pk, values=invoice("04512346", "40000.01"))
    assert invoiced_total(contract_id=contract.pk) == money("100000.01")


def test_number_is_unique_per_type(org: Org) -> None:
    contract = a_contract(org.rep_a1)
    invoice_issue(actor=org.actor(org.finance), contract_id=contract.pk, values=invoice(amount="100"))

    with pytest.raises(ValidationFailed) as caught:
        invoice_issue(actor=org.actor(org.finance), contract_id=contract.pk, values=invoice(amount="100"))

    assert caught.value.errors[0].field == "number"


def test_void_is_a_negative_entry_and_frees_the_amount(org: Org) -> None:
    contract = a_contract(org.rep_a1)
    original = invoice_issue(actor=org.actor(org.finance), contract_id=contract.pk, values=invoice(amount="100000"))

    entry = invoice_void(actor=org.actor(org.finance), invoice_id=original.pk, reason="抬头开错")

    assert (entry.amount, entry.voids_id, entry.number) == (money("-100000.00"), original.pk, original.number)
    assert invoiced_total(contract_id=contract.pk) == money("0.00")
    with pytest.raises(AlreadyReversed):
        invoice_void(actor=org.actor(org.finance), invoice_id=original.pk, reason="again")
    # the corrected invoice has a new number; the voided one is never reused
    with pytest.raises(ValidationFailed):
        invoice_issue(actor=org.actor(org.finance), contract_id=contract.pk, values=invoice(amount="100000"))
    invoice_issue(actor=org.actor(org.finance), contract_id=contract.pk, values=invoice("04512399", "100000"))
    assert Invoice.objects.filter(contract=contract).count() == 3
