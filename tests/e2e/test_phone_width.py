"""At phone width the pages fit the screen and the navigation opens from the menu button."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from conftest import Org
from crm.activities.services import activity_create
from crm.customers.services import contact_create, customer_create
from tests.e2e.actions import sign_in
from tests.e2e.conftest import PHONE

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def page_width(page: Page) -> int:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert isinstance(width, int)
    return width


def test_list_and_detail_fit_a_phone_and_the_menu_opens(new_page: Callable[..., Page], org: Org) -> None:
    # given a customer with a long name, tags, a contact and a follow-up
    actor = org.actor(org.rep_a1)
    customer = customer_create(
        actor=actor,
        values={
            "name": "深圳市腾讯计算机系统有限公司华南区域数字化转型事业部",
            "industry": "互联网与信息技术服务",
            "tags": ["重点客户", "华南", "数字化转型"],
            "website": "https://www.example-very-long-domain-name-for-testing.com/path/to/page",
            "email": "procurement.department.south.region@example-enterprise.com.cn",
        },
    )
    contact = contact_create(
        actor=actor, values={"name": "欧阳晓明", "customer_id": customer.pk, "title": "信息技术部总监"}
    )
    activity_create(
        actor=actor,
        values={"customer_id": customer.pk, "contact_id": contact.pk, "kind": "call", "content": "介绍方案" * 30},
    )
    page = new_page(PHONE)
    sign_in(page, "rep_a1")

    # when they open the customer list on a phone
    page.goto("/customers/")
    expect(page.get_by_test_id("customer-table")).to_contain_text("深圳市腾讯")
    # then the page does not scroll sideways (the table scrolls inside its card)
    assert page_width(page) <= PHONE["width"] + 1

    # when they open the customer
    page.goto(f"/customers/{customer.pk}/")
    expect(page.get_by_test_id("timeline-content")).to_be_visible()
    # then that page fits too
    assert page_width(page) <= PHONE["width"] + 1

    # when they tap the menu button
    nav = page.get_by_test_id("nav")
    expect(nav).not_to_be_in_viewport()
    page.get_by_test_id("open-nav").click()
    # then the navigation drawer slides in and its links work
    expect(nav).to_be_in_viewport()
    nav.get_by_role("link", name="客户", exact=True).click()
    expect(page.get_by_test_id("customer-table")).to_be_visible()
