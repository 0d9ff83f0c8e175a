"""Property-based: for any sequence of plan, pay, allocate, reverse, invoice and void operations the ledger reconciles.

Refusals (overpayment, collected amounts locked, already reversed) are legitimate outcomes; whatever
happens, payments equal allocations, outstanding equals contracted minus collected, the ageing
buckets add up to the overdue total, the contract's running totals equal its payments and invoices,
and nothing is negative.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import Org
from crm.contracts.models import Contract
from crm.core.errors import DomainError
from crm.payments.ageing import bucket_of
from crm.payments.models import Instalment, Invoice, Payment, PaymentAllocation, PaymentPlan
from crm.payments.selectors import ReceivableFilters, contract_totals, receivables
from crm.payments.services.collection import payment_record, payment_reverse
from crm.payments.services.invoicing import invoice_issue, invoice_void
from crm.payments.services.plans import payment_plan_set
from crm.payments.tests.conftest import TODAY
from crm.payments.tests.factories import SYSTEM, a_contract

ZERO = Decimal("0.00")
CENT = Decimal("0.01")

cents = st.integers(min_value=1, max_value=12_000_00)
offsets = st.integers(min_value=-200, max_value=60)
operation = st.one_of(
    st.tuples(st.just("plan"), st.lists(st.tuples(st.integers(1, 100), offsets), min_size=1, max_size=4)),
    st.tuples(st.just("pay"), cents, st.integers(0, 5), st.booleans()),
    st.tuples(st.just("reverse"), st.integers(0, 20)),
    st.tuples(st.just("invoice"), cents),
    st.tuples(st.just("void"), st.integers(0, 20)),
)


def _plan(contract_id: int, amount: Decimal, shares: list[tuple[int, int]]) -> None:
    """A new plan keeping every instalment's collections: collected first, the unpaid rest split by `shares`."""
    existing = list(Instalment.objects.filter(contract_id=contract_id).order_by("number"))
    keep = [item for item in existing if item.collected > 0]
    unpaid = amount - sum((item.collected for item in keep), ZERO)
    weights = [weight for weight, _offset in shares]
    parts = [(unpaid * weight / sum(weights)).quantize(CENT) for weight in weights]
    parts[-1] += unpaid - sum(parts, ZERO)
    rows: list[dict[str, Any]] = [
        {"id": item.pk, "amount": str(item.collected), "due_on": item.due_on.isoformat()} for item in keep
    ]
    rows += [
        {"amount": str(part), "due_on": (TODAY + dt.timedelta(days=offset)).isoformat()}
        for part, (_weight, offset) in zip(parts, shares, strict=True)
        if part > 0
    ]
    plan = PaymentPlan.objects.filter(contract_id=contract_id).first()
    payment_plan_set(actor=SYSTEM, contract_id=contract_id, version=plan.version if plan else 0, instalments=rows)


def _pay(contract_id: int, amount_cents: int, pick: int, explicit: bool) -> None:
    allocations = None
    if explicit:
        open_ids = list(
            Instalment.objects.filter(contract_id=contract_id).order_by("number").values_list("pk", flat=True)
        )
        if open_ids:
            allocations = {open_ids[pick % len(open_ids)]: str(Decimal(amount_cents) / 100)}
    payment_record(
        actor=SYSTEM,
        contract_id=contract_id,
        values={"amount": str(Decimal(amount_cents) / 100), "received_on": TODAY.isoformat(), "method": "cash"},
        allocations=allocations,
    )


def _reverse(contract_id: int, index: int) -> None:
    ids = list(Payment.objects.filter(contract_id=contract_id).order_by("id").values_list("pk", flat=True))
    if ids:
        payment_reverse(actor=SYSTEM, payment_id=ids[index % len(ids)], reason="更正")


def _invoice(contract_id: int, amount_cents: int) -> None:
    values = {
        "kind": "vat_normal",
        "number": f"P{Invoice.objects.count():07d}",
        "amount": str(Decimal(amount_cents) / 100),
        "issued_on": TODAY.isoformat(),
        "title": "上海星河数据科技有限公司",
        "tax_id": "91310115MA1K3YJ25T",
    }
    invoice_issue(actor=SYSTEM, contract_id=contract_id, values=values)


def _void(contract_id: int, index: int) -> None:
    ids = list(Invoice.objects.filter(contract_id=contract_id).order_by("id").values_list("pk", flat=True))
    if ids:
        invoice_void(actor=SYSTEM, invoice_id=ids[index % len(ids)], reason="作废")


def _total(values: Any) -> Decimal:
    """An exact Decimal sum in Python: the oracle the SQL sums are checked against."""
    return sum(values, ZERO)


def _check(contract_id: int, viewer: Any) -> None:
    payments = _total(Payment.objects.filter(contract_id=contract_id).values_list("amount", flat=True))
    allocations = PaymentAllocation.objects.filter(payment__contract_id=contract_id)
    assert payments == _total(allocations.values_list("amount", flat=True))
    for payment in Payment.objects.filter(contract_id=contract_id):
        assert _total(allocations.filter(payment=payment).values_list("amount", flat=True)) == payment.amount
    overdue = ZERO
    for item in Instalment.objects.filter(contract_id=contract_id):
        assert item.collected == _total(allocations.filter(instalment=item).values_list("amount", flat=True))
        assert ZERO <= item.collected <= item.amount
        if bucket_of((TODAY - item.due_on).days) is not None:
            overdue += item.outstanding
    contract = Contract.objects.get(pk=contract_id)
    invoices = _total(Invoice.objects.filter(contract_id=contract_id).values_list("amount", flat=True))
    # The running totals the receivables report reads equal the ledger they summarise.
    assert (contract.collected, contract.invoiced) == (payments, invoices)
    assert invoices <= contract.amount
    totals = contract_totals(contract=contract, today=TODAY)
    assert totals.invoiced == invoices
    assert totals.collected == payments
    assert totals.outstanding == totals.contracted - totals.collected
    assert totals.outstanding >= 0
    assert totals.overdue == overdue
    report = receivables(viewer=viewer, filters=ReceivableFilters(group_by="contract"), today=TODAY)
    row = report.rows[0]
    assert sum(row.bucket_values, ZERO) == row.overdue == overdue
    assert all(value >= 0 for value in [row.collected, row.outstanding, row.overdue, *row.bucket_values])
    assert row.outstanding == row.contracted - row.collected
    assert (row.collected, row.invoiced) == (payments, invoices)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(amount_cents=st.integers(min_value=100, max_value=10_000_000_00), operations=st.lists(operation, max_size=10))
def test_any_sequence_of_operations_keeps_the_ledger_reconciled(
    org: Org, amount_cents: int, operations: list[tuple[Any, ...]]
) -> None:
    with transaction.atomic():
        amount = Decimal(amount_cents) / 100
        contract = a_contract(org.rep_a1, amount=str(amount))
        viewer = org.actor(org.director)
        _plan(contract.pk, contract.amount, [(1, -45), (2, 10)])
        for kind, *args in operations:
            try:
                if kind == "plan":
                    _plan(contract.pk, contract.amount, args[0])
                elif kind == "pay":
                    _pay(contract.pk, *args)
                elif kind == "reverse":
                    _reverse(contract.pk, *args)
                elif kind == "invoice":
                    _invoice(contract.pk, *args)
                else:
                    _void(contract.pk, *args)
            except DomainError:
                pass
            _check(contract.pk, viewer)
        transaction.set_rollback(True)
