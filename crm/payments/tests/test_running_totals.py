"""The contracts' running totals: kept by every ledger write, and rebuilt from the ledger on demand."""

from __future__ import annotations

import datetime as dt

from conftest import Org
from crm.contracts.models import Contract
from crm.payments.services.collection import payment_reverse
from crm.payments.services.running_totals import running_totals_refresh
from crm.payments.tests.conftest import TODAY
from crm.payments.tests.factories import a_contract, a_payment, a_plan, money


def test_payments_and_reversals_move_the_collected_total(org: Org) -> None:
    contract = a_contract(org.rep_a1)
    a_plan(contract, ("100000.00", TODAY - dt.timedelta(days=10)))
    first = a_payment(contract, "1234.56")
    a_payment(contract, "0.44")
    payment_reverse(actor=org.actor(org.finance), payment_id=first.pk, reason="录错金额")

    contract.refresh_from_db()
    assert contract.collected == money("0.44")


def test_refresh_rebuilds_totals_written_around_the_services(org: Org) -> None:
    paid = a_contract(org.rep_a1)
    a_plan(paid, ("100000.00", TODAY - dt.timedelta(days=10)))
    a_payment(paid, "300.10")
    a_payment(paid, "0.20")
    untouched = a_contract(org.rep_a2)
    Contract.objects.filter(pk=paid.pk).update(collected=money("999.00"), invoiced=money("5.00"))

    assert running_totals_refresh() >= 2

    paid.refresh_from_db()
    untouched.refresh_from_db()
    assert (paid.collected, paid.invoiced) == (money("300.30"), money("0.00"))
    assert (untouched.collected, untouched.invoiced) == (money("0.00"), money("0.00"))
