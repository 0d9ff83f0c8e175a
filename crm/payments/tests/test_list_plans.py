"""The payment and instalment lists answer the same whichever way they read the ledger.

The team and "overdue" filters count their matches first and either check each row while walking the
list's date index (many matches) or gather the matching rows (few); both ways must give the same rows.
"""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import Org
from crm.contracts.models import Contract, ContractStatus
from crm.payments import selectors
from crm.payments.tests.conftest import TODAY
from crm.payments.tests.factories import a_contract, a_payment, a_plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger(org: Org) -> dict[str, Contract]:
    """Four contracts, each with one payment of 10,000 and an instalment of 90,000 still open.

    overdue:    active, rep_a1 (team A), the open instalment 30 days past due  → overdue
    upcoming:   active, rep_a2 (team A), the open instalment due in 30 days    → not overdue
    terminated: terminated after the payment, rep_b1 (team B), 30 days past due → not receivable
    expired:    expired, rep_b1 (team B), 5 days past due                      → overdue
    """
    due = {"overdue": -30, "upcoming": 30, "terminated": -30, "expired": -5}
    owners = {"overdue": org.rep_a1, "upcoming": org.rep_a2, "terminated": org.rep_b1, "expired": org.rep_b1}
    contracts = {}
    for key, days in due.items():
        contract = a_contract(owners[key], number=f"HT-{key}")
        a_plan(contract, ("10000.00", dt.date(2026, 1, 31)), ("90000.00", TODAY + dt.timedelta(days=days)))
        a_payment(contract, "10000.00", on=dt.date(2026, 2, 1))
        contracts[key] = contract
    Contract.objects.filter(number="HT-terminated").update(status=ContractStatus.TERMINATED)
    Contract.objects.filter(number="HT-expired").update(status=ContractStatus.EXPIRED)
    return contracts


def _payments(org: Org, **filters: object) -> list[str]:
    rows = selectors.payment_list(viewer=org.actor(org.director), filters=selectors.PaymentFilters(**filters))  # type: ignore[arg-type]
    return sorted(payment.contract.number for payment in rows)


def _instalments(org: Org, **filters: object) -> list[tuple[str, int]]:
    rows = selectors.instalment_list(
        viewer=org.actor(org.director),
        filters=selectors.InstalmentFilters(**filters),  # type: ignore[arg-type]
    )
    return sorted((instalment.contract.number, instalment.number) for instalment in rows)


def test_overdue_payments_are_those_of_receivable_contracts_with_an_open_past_due_instalment(
    org: Org, ledger: dict[str, Contract], list_plan: str
) -> None:
    assert _payments(org, overdue=True) == ["HT-expired", "HT-overdue"]
    assert _payments(org, overdue=True, owner_id=org.rep_b1.pk) == ["HT-expired"]


def test_the_team_filter_keeps_the_teams_rows(org: Org, ledger: dict[str, Contract], list_plan: str) -> None:
    assert _payments(org, team_id=org.rep_a1.team_id) == ["HT-overdue", "HT-upcoming"]
    assert _instalments(org, team_id=org.rep_b1.team_id, open_only=True) == [("HT-expired", 2), ("HT-terminated", 2)]
