"""The customer timeline in pages: the newest entries first, then "show older" for the rest."""

from __future__ import annotations

import datetime as dt
import re

import time_machine
from django.test import Client
from django.utils.http import urlencode

from conftest import Org
from crm.activities.selectors import customer_timeline, timeline_page
from crm.activities.services import activity_create
from crm.activities.views import TIMELINE_PAGE
from crm.customers.models import Customer
from crm.customers.tests.factories import a_customer

START = dt.datetime(2025, 3, 1, 1, 0, tzinfo=dt.UTC)
_OLDER_LINK = re.compile(r'hx-get="([^"]+/older/\?before=[^"]+)"')


def _follow_ups(org: Org, customer: Customer, count: int) -> None:
    """`count` follow-ups an hour apart after the customer was created at START."""
    for number in range(count):
        with time_machine.travel(START + dt.timedelta(hours=number + 1), tick=False):
            activity_create(
                actor=org.actor(org.rep_a1), values={"customer_id": customer.pk, "content": f"跟进第{number + 1}次"}
            )


def _customer(org: Org) -> Customer:
    with time_machine.travel(START, tick=False):
        return a_customer(org.rep_a1, name="远洋重工")


def test_pages_cover_every_entry_once_newest_first(org: Org) -> None:
    # given a customer created at START (one audit entry) and 12 follow-ups after it
    customer = _customer(org)
    _follow_ups(org, customer, 12)
    viewer = org.actor(org.rep_a1)

    # when the timeline is read five entries at a time, each page starting before the last one shown
    seen: list[dt.datetime] = []
    before = None
    for _page in range(10):
        items = customer_timeline(viewer=viewer, customer=customer, limit=6, before=before)
        shown, before = timeline_page(items, 5)
        seen += [item.at for item in shown]
        if before is None:
            break

    # then all 13 entries came exactly once, newest first, in three pages
    assert len(seen) == 13
    assert seen == sorted(seen, reverse=True)
    assert len(set(seen)) == 13
    assert seen[-1] == START


def test_entries_sharing_a_moment_stay_on_one_page() -> None:
    # given six entries of which the third to the fifth happened at the same moment
    from crm.activities.selectors import TimelineItem

    moments = [START + dt.timedelta(hours=h) for h in (9, 8, 7, 7, 7, 1)]
    items = [TimelineItem(at=moment, kind="change") for moment in moments]

    # when a page of three is cut from them
    shown, before = timeline_page(items, 3)

    # then the page runs on to the last entry of that moment, and the next page starts before it
    assert [item.at for item in shown] == moments[:5]
    assert before == moments[4]


def test_the_panel_shows_a_page_and_a_button_that_loads_the_rest(org: Org) -> None:
    # given a customer with more follow-ups than a page holds
    customer = _customer(org)
    _follow_ups(org, customer, TIMELINE_PAGE + 4)
    client = Client()
    client.force_login(org.rep_a1)

    # when the owner opens the panel
    panel = client.get(f"/activities/customer/{customer.pk}/", headers={"HX-Request": "true"})

    # then it shows the newest page and a "show older" button
    assert panel.status_code == 200
    text = panel.content.decode()
    assert text.count('data-testid="timeline-content"') == TIMELINE_PAGE
    assert f"跟进第{TIMELINE_PAGE + 4}次" in text
    link = _OLDER_LINK.search(text)
    assert link is not None

    # and the button's request answers with the remaining follow-ups and the creation, and no button
    older = client.get(link.group(1).replace("&amp;", "&"), headers={"HX-Request": "true"})
    assert older.status_code == 200
    rest = older.content.decode()
    assert rest.count('data-testid="timeline-content"') == 4
    assert "跟进第1次" in rest
    assert f"跟进第{TIMELINE_PAGE + 4}次" not in rest
    assert 'data-testid="timeline-older"' not in rest


def test_older_entries_answer_only_to_viewers_of_the_customer_and_refuse_a_bad_link(org: Org) -> None:
    customer = _customer(org)
    before = urlencode({"before": (START + dt.timedelta(days=1)).isoformat()})
    stranger = Client()
    stranger.force_login(org.rep_b1)
    owner = Client()
    owner.force_login(org.rep_a1)

    assert stranger.get(f"/activities/customer/{customer.pk}/older/?{before}").status_code == 404
    assert owner.get(f"/activities/customer/{customer.pk}/older/?{before}").status_code == 200
    refused = owner.get(f"/activities/customer/{customer.pk}/older/?before=yesterday")
    assert refused.status_code == 400
    assert refused.content.decode() == "查看更早记录的链接有误，请刷新页面。"
