"""The "neglected only" list shows the same customers, in the same order, whichever way the flags are read."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from conftest import Org
from crm.core import flag_tables
from crm.customers.models import NeglectFlag
from crm.customers.selectors import CustomerFilters, customer_page
from crm.customers.tests.factories import a_customer


@pytest.mark.parametrize("few_flags", [0, 1_000], ids=["walk the list's index", "start from the flags"])
def test_neglected_only_lists_the_flagged_customers_the_viewer_may_see_in_list_order(
    org: Org, monkeypatch: Any, few_flags: int
) -> None:
    # given six customers of two reps, four of them flagged
    monkeypatch.setattr(flag_tables, "FEW_FLAGS", few_flags)
    mine = [a_customer(org.rep_a1, name=f"客户{number}") for number in range(4)]
    theirs = [a_customer(org.rep_b1, name=f"他人客户{number}") for number in range(2)]
    now = timezone.now()
    for customer in [mine[0], mine[2], mine[3], theirs[1]]:
        NeglectFlag.objects.create(customer=customer, since=now - dt.timedelta(days=40))

    # when each asks for neglected customers only, two to a page
    def names(viewer: Any) -> list[str]:
        shown, cursor = [], None
        for _page in range(5):
            page = customer_page(viewer=viewer, filters=CustomerFilters(neglected=True), cursor=cursor, size=2)
            shown += [customer.name for customer in page.items]
            cursor = page.next_cursor
            if not cursor:
                break
        return shown

    # then each sees their own flagged customers, newest first, across pages
    assert names(org.actor(org.rep_a1)) == ["客户3", "客户2", "客户0"]
    assert names(org.actor(org.director)) == ["他人客户1", "客户3", "客户2", "客户0"]
