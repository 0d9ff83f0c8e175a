"""A visitor fills the public web form; a rep then finds the lead with its source and campaign."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from conftest import Org
from crm.leads.tests.campaign_factories import a_campaign, a_web_form
from tests.e2e.actions import sign_in
from tests.e2e.conftest import PHONE

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_submission_on_the_hosted_form_becomes_a_lead_with_its_campaign(
    new_page: Callable[..., Page], org: Org
) -> None:
    # given a campaign owned by rep_a1 with a published form
    web_form = a_web_form(org.admin, a_campaign(org.admin, org.rep_a1, name="2026 春季智能制造峰会"))
    visitor = new_page(PHONE)
    visitor.goto(f"/f/{web_form.token}/")
    form = visitor.get_by_test_id("webform")

    # when the visitor sends it without ticking the consent box
    form.locator("input[name=name]").fill("陈晓明")
    form.locator("input[name=company_name]").fill("苏州明德精密机械有限公司")
    form.locator("input[name=mobile]").fill("139 1234 5678")
    visitor.get_by_test_id("webform-submit").click()

    # then the box says why, and what they typed is still there
    expect(visitor.locator("[data-field-error=consent]")).to_have_text("请勾选同意后再提交。")
    expect(form.locator("input[name=name]")).to_have_value("陈晓明")

    # when they tick it and send again
    form.locator("input[name=consent]").check()
    visitor.get_by_test_id("webform-submit").click()

    # then they are thanked
    expect(visitor.get_by_test_id("webform-message")).to_contain_text("感谢报名，我们会尽快与您联系。")

    # when the campaign's owner signs in and opens the leads
    rep = new_page()
    sign_in(rep, "rep_a1")
    rep.goto("/leads/")

    # then the lead is listed with its source and campaign
    row = rep.get_by_test_id("lead-table").locator("tr", has_text="陈晓明")
    expect(row).to_contain_text("网页表单")
    expect(row).to_contain_text("2026 春季智能制造峰会")
    row.get_by_role("link", name="陈晓明").click()
    expect(rep.get_by_test_id("lead-status")).to_have_text("新线索")
