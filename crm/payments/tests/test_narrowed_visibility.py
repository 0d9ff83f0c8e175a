"""Lists narrowed to one customer or one contract apply the visibility rule on the join, not through
the subquery of every visible contract: both ways must keep exactly the rows the viewer may see."""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import Org
from crm.contracts.models import Contract
from crm.payments import selectors
from crm.payments.tests.factories import a_contract, a_payment, a_plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared(org: Org) -> dict[str, Contract]:
    """One customer with a contract each of rep_a1 (team A), rep_a2 (team A) and rep_b1 (team B),
    each with a paid first instalment and an open second one."""
    first = a_contract(org.rep_a1, number="HT-a1")
    contracts: dict[str, Contract] = {"a1": first}
    for key, owner in (("a2", org.rep_a2), ("b1", org.rep_b1)):
        contracts[key] = a_contract(owner, number=f"HT-{key}", customer=first.customer)
    for contract in contracts.values():
        a_plan(contract, ("40000.00", dt.date(2026, 1, 31)), ("60000.00", dt.date(2026, 6, 30)))
        a_payment(contract, "40000.00")
    return contracts


def _numbers(rows: object) -> list[str]:
    return sorted({row.contract.number for row in rows})  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("viewer", "expected"),
    [
        ("rep_a1", ["HT-a1"]),
        ("east_a_manager", ["HT-a1", "HT-a2"]),
        ("director", ["HT-a1", "HT-a2", "HT-b1"]),
    ],
)
def test_one_customers_payments_and_instalments_are_those_the_viewer_may_see(
    org: Org, shared: dict[str, Contract], viewer: str, expected: list[str]
) -> None:
    actor = org.actor(getattr(org, viewer))
    customer_id = shared["a1"].customer_id

    payments = selectors.payment_list(viewer=actor, filters=selectors.PaymentFilters(customer_id=customer_id))
    instalments = selectors.instalment_list(viewer=actor, filters=selectors.InstalmentFilters(customer_id=customer_id))
    on_timeline, _invoices = selectors.customer_ledger_events(viewer=actor, customer_id=customer_id, limit=10)

    assert _numbers(payments) == expected
    assert _numbers(instalments) == expected
    assert _numbers(on_timeline) == expected


def test_one_contract_of_a_colleague_in_another_team_shows_nothing(org: Org, shared: dict[str, Contract]) -> None:
    actor = org.actor(org.rep_a1)
    theirs = shared["b1"].pk

    payments = selectors.payment_list(viewer=actor, filters=selectors.PaymentFilters(contract_id=theirs))
    instalments = selectors.instalment_list(viewer=actor, filters=selectors.InstalmentFilters(contract_id=theirs))

    assert list(payments) == []
    assert list(instalments) == []
