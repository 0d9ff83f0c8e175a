"""The contract list's end-date sort: every contract once, page by page, and the default for "ending soon"."""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import Org
from crm.contracts.models import Contract, ContractStatus
from crm.contracts.selectors import ContractFilters, contract_list, contract_page
from crm.contracts.tests.factories import a_contract
from crm.contracts.tests.test_views import signed_in
from crm.core import clock
from crm.core.pagination import SortKey, paginate
from crm.customers.tests.test_api import api_client, send


def _contracts_ending(org: Org, days: list[int | None]) -> list[Contract]:
    """Active contracts of rep_a1 ending in `days` days from today (None: no end date)."""
    today = clock.today()
    contracts = [
        a_contract(
            org.rep_a1,
            title=f"合同{index}",
            starts_on=today - dt.timedelta(days=30),
            ends_on=None if day is None else today + dt.timedelta(days=day),
            amount=f"{(index + 1) * 1000}.00",
        )
        for index, day in enumerate(days)
    ]
    Contract.objects.filter(pk__in=[c.pk for c in contracts]).update(status=ContractStatus.ACTIVE)
    return contracts


@pytest.mark.parametrize("descending", [False, True])
def test_paging_by_a_nullable_column_returns_every_row_once_in_the_database_order(org: Org, descending: bool) -> None:
    # given contracts with repeated end dates and some without one
    _contracts_ending(org, [40, None, 10, 40, None, 200, 10])
    viewer = org.actor(org.rep_a1)
    rows = contract_list(viewer=viewer, filters=ContractFilters())
    prefix = "-" if descending else ""
    expected = list(rows.order_by(f"{prefix}ends_on", f"{prefix}id").values_list("pk", flat=True))

    # when the list is read two rows at a time, each page starting after the last
    sort = SortKey("ends_on", descending=descending)
    seen: list[int] = []
    cursor = None
    while True:
        page = paginate(rows, sort=sort, cursor=cursor, size=2)
        seen.extend(contract.pk for contract in page.items)
        if not page.has_more:
            break
        cursor = page.next_cursor

    # then the pages hold every contract once, in the order the database sorts them (NULLs included)
    assert seen == expected
    assert len(expected) == 7


def test_ending_soon_lists_the_soonest_end_first_unless_another_sort_is_chosen(org: Org) -> None:
    # given active contracts ending in 60, 5 and 30 days, the later ones created last
    _contracts_ending(org, [60, 5, 30, 400])
    viewer = org.actor(org.rep_a1)

    # when the contracts ending within 90 days are listed with no sort, and by amount
    default = contract_page(viewer=viewer, filters=ContractFilters(ending_within=90), cursor=None, size=10)
    by_amount = contract_page(
        viewer=viewer, filters=ContractFilters(ending_within=90, sort="-amount"), cursor=None, size=10
    )
    everything = contract_page(viewer=viewer, filters=ContractFilters(), cursor=None, size=10)

    # then the default is soonest end first; a chosen sort wins; without the filter the newest come first
    assert [c.title for c in default.items] == ["合同1", "合同2", "合同0"]
    assert [c.title for c in by_amount.items] == ["合同2", "合同1", "合同0"]
    assert [c.title for c in everything.items] == ["合同3", "合同2", "合同1", "合同0"]


def test_the_page_and_the_api_offer_the_end_date_sort(org: Org) -> None:
    _contracts_ending(org, [60, 5, 30])

    html = signed_in(org.rep_a1).get("/contracts/?ending_within=90").content.decode()
    status, listed = send(api_client(org.rep_a1), "get", "/api/v1/contracts?ending_within=90")
    status_sorted, by_end = send(api_client(org.rep_a1), "get", "/api/v1/contracts?sort=ends_on")
    status_bad, bad = send(api_client(org.rep_a1), "get", "/api/v1/contracts?sort=ends")

    assert html.index("合同1") < html.index("合同2") < html.index("合同0")
    assert '<option value="" selected>' in html
    assert status == 200
    assert [row["title"] for row in listed["items"]] == ["合同1", "合同2", "合同0"]
    assert (status_sorted, [row["title"] for row in by_end["items"]]) == (200, ["合同1", "合同2", "合同0"])
    assert status_bad == 422
    assert "sort" in str(bad)
