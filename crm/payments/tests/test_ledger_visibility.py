"""The ledger lists keep exactly the rows of the live contracts the viewer may see, whichever way they
read them: each row's contract checked while walking the list's date order, or the rows of the chosen
contracts gathered (the `list_plan` fixture runs each test both ways)."""

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
    org: Org, shared: dict[str, Contract], viewer: str, expected: list[str], list_plan: str
) -> None:
    actor = org.actor(getattr(org, viewer))
    customer_id = shared["a1"].customer_id

    payments = selectors.payment_list(viewer=actor, filters=selectors.PaymentFilters(customer_id=customer_id))
    instalments = selectors.instalment_list(viewer=actor, filters=selectors.InstalmentFilters(customer_id=customer_id))
    on_timeline, _invoices = selectors.customer_ledger_events(viewer=actor, customer_id=customer_id, limit=10)

    assert _numbers(payments) == expected
    assert _numbers(instalments) == expected
    assert _numbers(on_timeline) == expected


@pytest.mark.parametrize(
    ("viewer", "expected"),
    [
        ("rep_a1", ["HT-a1"]),
        ("east_a_manager", ["HT-a1", "HT-a2"]),
        ("finance", ["HT-a1", "HT-a2", "HT-b1"]),
    ],
)
def test_the_whole_lists_and_their_filters_show_what_the_viewer_may_see(
    org: Org, shared: dict[str, Contract], viewer: str, expected: list[str], list_plan: str
) -> None:
    # given a fourth contract, in the recycle bin, with a plan of its own
    deleted = a_contract(org.rep_a1, number="HT-deleted")
    a_plan(deleted, ("100000.00", dt.date(2026, 6, 30)))
    Contract.all_objects.filter(pk=deleted.pk).update(deleted_at=deleted.created_at)
    actor = org.actor(getattr(org, viewer))

    # when the viewer lists every payment and instalment, then those of rep_a1 and of team A
    payments = selectors.payment_list(viewer=actor, filters=selectors.PaymentFilters())
    instalments = selectors.instalment_list(viewer=actor, filters=selectors.InstalmentFilters())
    by_owner = selectors.payment_list(viewer=actor, filters=selectors.PaymentFilters(owner_id=org.rep_a1.pk))
    by_team = selectors.instalment_list(viewer=actor, filters=selectors.InstalmentFilters(team_id=org.rep_a1.team_id))

    # then each shows the contracts the viewer may see, never the one in the recycle bin
    assert _numbers(payments) == expected
    assert _numbers(instalments) == expected
    assert _numbers(by_owner) == ["HT-a1"]
    assert _numbers(by_team) == [number for number in expected if number in ("HT-a1", "HT-a2")]


def test_one_contract_of_a_colleague_in_another_team_shows_nothing(org: Org, shared: dict[str, Contract]) -> None:
    actor = org.actor(org.rep_a1)
    theirs = shared["b1"].pk

    payments = selectors.payment_list(viewer=actor, filters=selectors.PaymentFilters(contract_id=theirs))
    instalments = selectors.instalment_list(viewer=actor, filters=selectors.InstalmentFilters(contract_id=theirs))

    assert list(payments) == []
    assert list(instalments) == []
