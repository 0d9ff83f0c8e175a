"""Finding customers by pinyin, and records another team owns staying invisible."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from conftest import Org
from crm.customers.services import customer_create
from tests.e2e.actions import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

BYTEDANCE = "北京字节跳动科技有限公司"


def search(page: Page, text: str) -> None:
    box = page.get_by_test_id("customer-search")
    box.fill(text)
    box.press("Enter")
    expect(page.get_by_test_id("customer-search")).to_have_value(text)


@pytest.mark.parametrize("query", ["zjtd", "zijietiaodong"])
def test_search_by_pinyin(page: Page, org: Org, query: str) -> None:
    # given two customers of rep_a1
    actor = org.actor(org.rep_a1)
    customer_create(actor=actor, values={"name": BYTEDANCE})
    customer_create(actor=actor, values={"name": "上海华信科技有限公司"})
    sign_in(page, "rep_a1")
    page.goto("/customers/")
    table = page.get_by_test_id("customer-table")
    expect(table).to_contain_text("上海华信科技有限公司")
    # when they search by the pinyin of the name
    search(page, query)
    # then only the matching customer is listed
    expect(page).to_have_url(re.compile(rf"/customers/\?(.*&)?q={query}(&|$)"))
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table.locator("tbody tr")).to_contain_text(BYTEDANCE)


def test_rep_cannot_open_another_teams_customer(page: Page, org: Org) -> None:
    # given a customer of rep_a1 (east) and one of rep_n1 (north)
    hidden = customer_create(actor=org.actor(org.rep_a1), values={"name": BYTEDANCE})
    customer_create(actor=org.actor(org.rep_n1), values={"name": "北京京东方显示技术有限公司"})
    sign_in(page, "rep_n1")

    # when rep_n1 opens rep_a1's customer by its URL
    response = page.goto(f"/customers/{hidden.pk}/")
    # then it is not found, as if it did not exist
    assert response is not None
    assert response.status == 404
    expect(page.get_by_test_id("not-found")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text(BYTEDANCE)

    # when they look at their list
    page.goto("/customers/")
    table = page.get_by_test_id("customer-table")
    # then only their own customer is there
    expect(table).to_contain_text("北京京东方显示技术有限公司")
    expect(table).not_to_contain_text(BYTEDANCE)

    # when they search for it by name and by pinyin
    for query in ("字节跳动", "zjtd"):
        search(page, query)
        # then nothing matches
        expect(table.locator("tbody tr")).to_have_count(1)
        expect(table).not_to_contain_text(BYTEDANCE)
        expect(table).not_to_contain_text("北京京东方显示技术有限公司")
