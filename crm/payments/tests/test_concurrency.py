"""Two payments on the same instalment at the same moment cannot overpay it: the contract row lock serialises them."""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest
from django.db import OperationalError, connection

from conftest import Org
from crm.core.errors import DomainError
from crm.payments.models import Instalment, Payment, PaymentAllocation
from crm.payments.services.collection import payment_record
from crm.payments.tests.conftest import TODAY
from crm.payments.tests.factories import a_contract, a_plan


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_payments_cannot_overpay_an_instalment(org: Org) -> None:
    # given an instalment with 60,000 outstanding, and two people each recording 40,000 against it
    contract = a_contract(org.rep_a1, amount="60000.00")
    (instalment,) = a_plan(contract, ("60000.00", TODAY))
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def pay(user: object) -> None:
        try:
            barrier.wait()
            for _attempt in range(500):
                try:
                    payment_record(
                        actor=org.actor(user),  # type: ignore[arg-type]
                        contract_id=contract.pk,
                        values={"amount": "40000.00", "received_on": TODAY.isoformat(), "method": "bank_transfer"},
                        allocations={instalment.pk: "40000.00"},
                    )
                    outcomes.append("paid")
                    return
                except OperationalError as exc:
                    # The in-memory SQLite test database fails a busy lock at once ("table is locked")
                    # where a file database or PostgreSQL would wait; the payment is one transaction,
                    # so trying it again is what waiting does.
                    if connection.vendor != "sqlite" or "locked" not in str(exc):
                        raise
                    time.sleep(0.01)
        except DomainError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    # when both record at once
    threads = [threading.Thread(target=pay, args=(user,)) for user in (org.rep_a1, org.finance)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    # then one payment went through, the other was refused as an overpayment, and the ledger adds up
    assert sorted(outcomes) == ["overpayment", "paid"]
    instalment.refresh_from_db()
    assert instalment.collected == Decimal("40000.00")
    assert [str(amount) for amount in Payment.objects.values_list("amount", flat=True)] == ["40000.00"]
    assert PaymentAllocation.objects.count() == 1
    assert Instalment.objects.get(pk=instalment.pk).outstanding == Decimal("20000.00")
