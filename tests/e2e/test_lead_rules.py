"""Lead settings in the browser: an administrator adds an entry criterion and a new lead is routed by it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from conftest import Org
from tests.e2e.actions import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_entry_criterion_routes_a_new_lead_to_unqualified_with_its_reason(page: Page, org: Org) -> None:
    # given the administrator on the lead settings page
    sign_in(page, "admin")
    page.get_by_test_id("nav").get_by_role("link", name="线索设置").click()

    # when they add "industry is one of 制造业, 汽车" with a reason
    page.get_by_role("link", name="添加标准").click()
    rows = page.get_by_test_id("condition-row")
    rows.nth(0).locator("select[name=cond_field_0]").select_option("industry")
    rows.nth(0).locator("select[name=cond_op_0]").select_option("in")
    rows.nth(0).locator("input[name=cond_value_0]").fill("制造业，汽车")
    page.locator("input[name=reason]").fill("不是目标行业")
    page.get_by_role("button", name="保存").click()

    # then the criterion is listed in words
    expect(page.get_by_test_id("rules-criteria")).to_contain_text("行业 属于 制造业、汽车")

    # when a retail lead is entered
    page.goto(page.url.split("/leads/")[0] + "/leads/new/")
    form = page.get_by_test_id("lead-form")
    form.locator("input[name=name]").fill("钱多多")
    form.locator("input[name=industry]").fill("零售")
    form.locator("button[type=submit]").click()

    # then it is unqualified, and its page says why
    expect(page.get_by_test_id("lead-status")).to_have_text("无效")
    expect(page.get_by_test_id("lead-unqualified-reason")).to_contain_text("不是目标行业")
