"""Logging follow-ups on a lead, seeing them on its timeline, then on the customer after conversion."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from conftest import Org
from crm.leads.tests.factories import a_lead
from tests.e2e.actions import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_follow_up_logged_on_a_lead_shows_on_its_timeline_and_on_the_customer(page: Page, org: Org) -> None:
    # given a new lead
    lead = a_lead(org.rep_a1, channel="event", campaign="2026 工博会")
    sign_in(page, "rep_a1")
    page.goto(f"/leads/{lead.pk}/")

    # when the rep first saves an empty follow-up, then a visit with a next step
    form = page.get_by_test_id("follow-up-form")
    page.get_by_test_id("save-follow-up").click()
    expect(page.locator("[data-field-error=content]")).to_be_visible()
    form = page.get_by_test_id("follow-up-form")
    form.locator("select[name=kind]").select_option("visit")
    form.locator("textarea[name=content]").fill("上门拜访，演示了排产模块")
    form.locator("input[name=next_step]").fill("发送报价")
    page.get_by_test_id("save-follow-up").click()

    # then the visit is on the lead's timeline, and the score explains the recent follow-up
    timeline = page.get_by_test_id("lead-timeline")
    expect(timeline).to_contain_text("上门拜访，演示了排产模块")
    expect(timeline).to_contain_text("发送报价")
    expect(page.get_by_test_id("lead-score-reasons")).to_contain_text("近 7 天有跟进")

    # when the lead is converted
    page.get_by_test_id("convert-lead").click()

    # then the customer's source-lead panel shows the follow-up
    expect(page.get_by_test_id("source-lead-follow-ups")).to_contain_text("上门拜访，演示了排产模块")
