"""Payments: allocation to instalments, partial payments, overpayment refused, reversal by a negative entry."""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import Org
from crm.audit.models import AuditEntry, Verb
from crm.contracts.models import ContractStatus
from crm.core.errors import NotFound, ValidationFailed
from crm.payments.errors import AlreadyReversed, Overpayment
from crm.payments.models import Instalment, Payment, PaymentAllocation
from crm.payments.services.collection import payment_record, payment_reverse
from crm.payments.tests.factories import a_contract, a_payment, a_plan, money

MARCH = dt.date(2026, 3, 31)
JUNE = dt.date(2026, 6, 30)


def collected(contract_id: int) -> list[str]:
    return [
        str(value) for value in Instalment.objects.filter(contract_id=contract_id).values_list("collected", flat=True)
    ]


def test_payment_pays_the_oldest_instalment_first_and_spills_over(org: Org) -> None:
    # given two instalments of 30,000 and 70,000
    contract = a_contract(org.rep_a1)
    first, second = a_plan(contract, ("30000.00", MARCH), ("70000.00", JUNE))

    # when 45,000.50 arrives
    payment = payment_record(
        actor=org.actor(org.rep_a1),
        contract_id=contract.pk,
        values={
            "amount": "45000.50",
            "received_on": "2026-04-02",
            "method": "bank_transfer",
            "reference": "招行回单 0402",
        },
    )

    # then the first is paid and the rest goes to the second, exactly
    allocations = list(PaymentAllocation.objects.filter(payment=payment).values_list("instalment_id", "amount"))
    assert allocations == [(first.pk, money("30000.00")), (second.pk, money("15000.50"))]
    assert collected(contract.pk) == ["30000.00", "15000.50"]
    entry = AuditEntry.objects.get(target_type="payments.payment", target_id=payment.pk)
    assert entry.verb == Verb.CREATE
    assert entry.changes["allocations"] == [None, {str(first.pk): "30000.00", str(second.pk): "15000.50"}]


def test_explicit_allocation_pays_the_chosen_instalment(org: Org) -> None:
    contract = a_contract(org.rep_a1)
    _first, second = a_plan(contract, ("30000.00", MARCH), ("70000.00", JUNE))

    a_payment(contract, "20000.00", allocations={second.pk: "20000"})

    assert collected(contract.pk) == ["0.00", "20000.00"]


def test_explicit_allocation_must_add_up_to_the_payment(org: Org) -> None:
    contract = a_contract(org.rep_a1)
    first, second = a_plan(contract, ("30000.00", MARCH), ("70000.00", JUNE))

    with pytest.raises(ValidationFailed) as caught:
        a_payment(contract, "20000.00", allocations={first.pk: "5000", second.pk: "10000"})

    assert caught.value.errors[0].field == "allocations"
    assert "15000.00" in caught.value.message
    assert "5000.00" in caught.value.message
    assert Payment.objects.count() == 0


def test_allocation_above_an_instalments_outstanding_is_an_overpayment(org: Org) -> None:
    contract = a_contract(org.rep_a1)
    first, _second = a_plan(contract, ("30000.00", MARCH), ("70000.00", JUNE))
    a_payment(contract, "25000.00")

    with pytest.raises(Overpayment) as caught:
        a_payment(contract, "6000.00", allocations={first.pk: "6000"})

    assert caught.value.errors[0].field == "allocations"
    assert caught.value.message == "第 1 期尚欠 5000.00，6000.00 超出了。"


def test_payment_above_the_contracts_outstanding_is_refused_with_the_amount_left(org: Org) -> None:
    # given 90,000 of 100,000 collected
    contract = a_contract(org.rep_a1)
    a_plan(contract, ("30000.00", MARCH), ("70000.00", JUNE))
    a_payment(contract, "90000.00")

    # when 10,000.01 more arrives, then it is refused naming what is left
    with pytest.raises(Overpayment) as caught:
        a_payment(contract, "10000.01")
    assert caught.value.errors[0].field == "amount"
    assert caught.value.message == "本次回款 10000.01 超过合同尚未回款的 10000.00。"
    assert collected(contract.pk) == ["30000.00", "60000.00"]


def test_bad_fields_are_named(org: Org) -> None:
    contract = a_contract(org.rep_a1)
    a_plan(contract, ("100000.00", JUNE))

    with pytest.raises(ValidationFailed) as caught:
        payment_record(
            actor=org.actor(org.rep_a1),
            contract_id=contract.pk,
            values={"amount": 12.5, "received_on": "2026-07-01", "method": "bitcoin"},
        )

    assert [error.field for error in caught.value.errors] == ["amount", "method", "received_on"]


def test_payment_needs_a_signed_contract_with_a_plan(org: Org) -> None:
    draft = a_contract(org.rep_a1, status=ContractStatus.DRAFT)
    a_plan(draft, ("100000.00", JUNE))
    unplanned = a_contract(org.rep_a1)

    with pytest.raises(ValidationFailed) as not_signed:
        a_payment(draft, "100.00")
    with pytest.raises(ValidationFailed) as no_plan:
        a_payment(unplanned, "100.00")

    assert not_signed.value.errors[0].field == "contract"
    assert no_plan.value.message == "请先为该合同添加回款计划，再登记回款。"


def test_reversal_is_a_negative_entry_that_gives_each_instalment_back_its_share(org: Org) -> None:
    # given a payment spread over two instalments
    contract = a_contract(org.rep_a1)
    first, second = a_plan(contract, ("30000.00", MARCH), ("70000.00", JUNE))
    a_payment(contract, "10000.00")
    payment = a_payment(contract, "40000.00")

    # when it is reversed
    reversal = payment_reverse(actor=org.actor(org.finance), payment_id=payment.pk, reason="重复登记")

    # then a negative payment points at it, its allocations mirror the original and the ledger adds up
    assert (reversal.amount, reversal.reverses_id, reversal.note) == (money("-40000.00"), payment.pk, "重复登记")
    mirrored = list(PaymentAllocation.objects.filter(payment=reversal).values_list("instalment_id", "amount"))
    assert mirrored == [(first.pk, money("-20000.00")), (second.pk, money("-20000.00"))]
    assert collected(contract.pk) == ["10000.00", "0.00"]
    payment.refresh_from_db()
    assert payment.amount == money("40000.00")
    assert AuditEntry.objects.get(target_type="payments.payment", target_id=reversal.pk).changes["reverses"] == [
        None,
        payment.pk,
    ]


def test_a_payment_is_reversed_once_and_a_reversal_never(org: Org) -> None:
    contract = a_contract(org.rep_a1)
    a_plan(contract, ("100000.00", JUNE))
    payment = a_payment(contract, "1000.00")
    reversal = payment_reverse(actor=org.actor(org.rep_a1), payment_id=payment.pk, reason="录错金额")

    with pytest.raises(AlreadyReversed):
        payment_reverse(actor=org.actor(org.rep_a1), payment_id=payment.pk, reason="again")
    with pytest.raises(AlreadyReversed):
        payment_reverse(actor=org.actor(org.rep_a1), payment_id=reversal.pk, reason="again")
    with pytest.raises(ValidationFailed):
        payment_reverse(actor=org.actor(org.rep_a1), payment_id=payment.pk, reason=" ")


def test_hidden_payment_cannot_be_reversed(org: Org) -> None:
    contract = a_contract(org.rep_a1)
    a_plan(contract, ("100000.00", JUNE))
    payment = a_payment(contract, "1000.00")

    with pytest.raises(NotFound):
        payment_reverse(actor=org.actor(org.rep_n1), payment_id=payment.pk, reason="不是我的")
    assert Payment.objects.count() == 1
