"""Leads in the browser: entering one, an unqualified reason, conversion, and phone width."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from conftest import Org
from crm.leads.tests.factories import a_lead
from tests.e2e.actions import sign_in
from tests.e2e.conftest import PHONE

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def page_width(page: Page) -> int:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert isinstance(width, int)
    return width


def test_enter_a_lead_then_convert_it_into_a_customer(page: Page, org: Org) -> None:
    # given a signed-in rep on the lead list
    sign_in(page, "rep_a1")
    page.get_by_test_id("nav").get_by_role("link", name="线索", exact=True).click()

    # when they enter a lead through the form
    page.get_by_test_id("new-lead").click()
    form = page.get_by_test_id("lead-form")
    form.locator("input[name=name]").fill("赵磊")
    form.locator("input[name=company_name]").fill("南京紫金云数据有限公司")
    form.locator("input[name=mobile]").fill("138 0013 8000")
    form.locator("select[name=channel]").select_option("event")
    form.locator("button[type=submit]").click()

    # then its page shows it as new, with its mobile
    expect(page.get_by_test_id("lead-name")).to_contain_text("赵磊")
    expect(page.get_by_test_id("lead-status")).to_have_text("新线索")
    expect(page.get_by_test_id("lead-mobile")).to_have_text("13800138000")

    # when they convert it
    page.get_by_test_id("convert-lead").click()

    # then they land on the new customer, and the lead links to it
    expect(page.get_by_test_id("customer-name")).to_contain_text("南京紫金云数据有限公司")
    expect(page.get_by_test_id("contacts-card")).to_contain_text("赵磊")
    page.go_back()
    page.reload()
    expect(page.get_by_test_id("converted-customer")).to_have_text("南京紫金云数据有限公司")


def test_unqualified_without_a_reason_shows_the_field_error(page: Page, org: Org) -> None:
    # given a lead
    lead = a_lead(org.rep_a1)
    sign_in(page, "rep_a1")
    page.goto(f"/leads/{lead.pk}/")

    # when it is marked unqualified without a reason
    form = page.get_by_test_id("status-form")
    form.locator("select[name=status]").select_option("unqualified")
    expect(form.locator("input[name=unqualified_reason]")).to_be_visible()
    form.get_by_role("button").click()

    # then the reason field says why; with a reason it saves
    expect(page.locator("[data-field-error=unqualified_reason]")).to_be_visible()
    form = page.get_by_test_id("status-form")
    form.locator("input[name=unqualified_reason]").fill("预算不足")
    form.get_by_role("button").click()
    expect(page.get_by_test_id("lead-status")).to_have_text("无效")
    expect(page.get_by_test_id("unqualified-reason")).to_have_text("预算不足")


def test_lead_list_and_detail_fit_a_phone(new_page: Callable[..., Page], org: Org) -> None:
    # given a lead with long values
    lead = a_lead(
        org.rep_a1,
        name="欧阳晓明",
        company_name="深圳市腾讯计算机系统有限公司华南区域数字化转型事业部",
        email="procurement.department.south.region@example-enterprise.com.cn",
        campaign="2026 华南区域数字化转型高峰论坛暨产品发布会",
    )
    page = new_page(PHONE)
    sign_in(page, "rep_a1")

    # when the list and the lead are opened on a phone
    page.goto("/leads/")
    expect(page.get_by_test_id("lead-table")).to_contain_text("欧阳晓明")
    # then neither page scrolls sideways
    assert page_width(page) <= PHONE["width"] + 1
    page.goto(f"/leads/{lead.pk}/")
    expect(page.get_by_test_id("convert-form")).to_be_visible()
    assert page_width(page) <= PHONE["width"] + 1
