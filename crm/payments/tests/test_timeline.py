"""Payments and their reversals appear on the customer's timeline for those who may see the contract."""

from __future__ import annotations

import datetime as dt

from django.utils import translation

from conftest import Org
from crm.activities.selectors import customer_timeline
from crm.payments.services.collection import payment_reverse
from crm.payments.tests.factories import a_contract, a_payment, a_plan


def _events(org: Org, viewer: object, customer: object) -> list[str]:
    items = customer_timeline(viewer=org.actor(viewer), customer=customer)  # type: ignore[arg-type]
    return [item.event.title for item in items if item.event is not None and item.event.label == "Payment"]


def test_a_payment_and_its_reversal_show_on_the_customer_timeline(org: Org) -> None:
    # given a payment of 30,000 on a rep's contract, then its reversal
    contract = a_contract(org.rep_a1)
    a_plan(contract, ("100000.00", dt.date(2026, 3, 31)))
    payment = a_payment(contract, "30000.00")
    payment_reverse(actor=org.actor(org.rep_a1), payment_id=payment.pk, reason="金额录错")

    # when the rep reads the customer's timeline in English
    with translation.override("en"):
        titles = _events(org, org.rep_a1, contract.customer)

    # then both entries show, the reversal first
    assert titles == ["Payment reversed: CNY -30,000.00", "Payment received: CNY 30,000.00"]


def test_payments_on_a_contract_the_viewer_may_not_see_stay_off_the_timeline(org: Org) -> None:
    # given a colleague's contract and payment on a rep's customer
    mine = a_contract(org.rep_a1)
    theirs = a_contract(org.rep_b1, customer=mine.customer)
    a_plan(theirs, ("100000.00", dt.date(2026, 3, 31)))
    a_payment(theirs, "5000.00")

    # when the customer's owner reads the timeline
    with translation.override("en"):
        titles = _events(org, org.rep_a1, mine.customer)

    # then the colleague's payment is not there
    assert titles == []
