"""Deal list filters that choose how to read the deals give the same rows either way."""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import Org
from crm.deals.models import Deal
from crm.deals.selectors import DealFilters, deal_page
from crm.deals.tests.factories import a_deal

pytestmark = pytest.mark.django_db


def test_closing_in_a_month_lists_the_deals_expected_to_close_in_it_newest_first(org: Org, list_plan: str) -> None:
    # given deals expected to close on the month's first and last day, the days either side, and none
    days = {"before": "2026-10-31", "first": "2026-11-01", "last": "2026-11-30", "after": "2026-12-01", "none": None}
    for name, day in days.items():
        a_deal(org.rep_a1, name=name, expected_close_on=day)

    # when November is listed by the director and by another rep
    november = DealFilters(close_month="2026-11")
    listed = deal_page(viewer=org.actor(org.director), filters=november, cursor=None, size=10)
    other = deal_page(viewer=org.actor(org.rep_b1), filters=november, cursor=None, size=10)

    # then exactly the month's two deals, newest first, and none of another rep's
    assert [deal.name for deal in listed.items] == ["last", "first"]
    assert other.items == []
    assert Deal.objects.get(name="first").expected_close_on == dt.date(2026, 11, 1)
