"""A customer's timeline shows its contracts' drafting and status changes to those who may see them."""

from __future__ import annotations

from conftest import Org
from crm.activities.selectors import customer_timeline
from crm.contracts.models import ContractStatus
from crm.contracts.services import contract_submit
from crm.contracts.tests.factories import a_contract
from crm.customers.tests.factories import a_customer


def _events(org: Org, viewer: object, customer: object) -> list[tuple[str, str]]:
    items = customer_timeline(viewer=org.actor(viewer), customer=customer)  # type: ignore[arg-type]
    return [(item.event.title, item.event.detail) for item in items if item.event is not None]


def test_the_customer_timeline_shows_a_contract_drafted_and_put_in_force(org: Org) -> None:
    # given a contract on a rep's customer, submitted without an approval flow (in force at once)
    customer = a_customer(org.rep_a1)
    contract = a_contract(org.rep_a1, customer, title="年度维保合同")
    contract_submit(actor=org.actor(org.rep_a1), contract_id=contract.pk, version=contract.version)

    # when the rep reads the customer's timeline
    events = _events(org, org.rep_a1, customer)

    # then the newest event is the contract coming into force and the oldest its drafting
    titles = {title for title, _detail in events}
    assert titles == {f"{contract.number} 年度维保合同"}
    assert str(ContractStatus.ACTIVE.label) in events[0][1]
    assert len(events) >= 2
    assert str(ContractStatus.ACTIVE.label) not in events[-1][1]


def test_a_contract_the_viewer_may_not_see_stays_off_the_timeline(org: Org) -> None:
    # given a colleague's contract on a rep's customer
    customer = a_customer(org.rep_a1)
    a_contract(org.rep_b1, customer, title="他人的合同")

    # when the customer's owner reads the timeline
    events = _events(org, org.rep_a1, customer)

    # then nothing about that contract shows
    assert events == []
