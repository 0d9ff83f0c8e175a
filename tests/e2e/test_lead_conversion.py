"""Converting a lead onto the contact the duplicate check found, then seeing the lead on the customer."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from conftest import Org
from crm.customers.tests.factories import a_contact, a_customer
from crm.leads.tests.factories import a_lead
from tests.e2e.actions import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_convert_onto_an_existing_contact_and_see_the_lead_on_the_customer(page: Page, org: Org) -> None:
    # given a web-form lead for a person who is already a contact at a customer
    customer = a_customer(org.rep_a1, name="杭州云栖智能制造有限公司")
    a_contact(org.rep_a1, customer, name="王建国", mobile="13912345678")
    lead = a_lead(org.rep_a1, channel="web_form", campaign="2026 春季智能制造峰会")
    sign_in(page, "rep_a1")
    page.goto(f"/leads/{lead.pk}/")

    # when the rep links it to the existing contact and converts
    choices = page.get_by_test_id("convert-contacts")
    expect(choices).to_contain_text("杭州云栖智能制造有限公司")
    choices.get_by_role("radio").nth(1).check()
    page.get_by_test_id("convert-lead").click()

    # then they land on that customer, with one contact, and the source lead is shown
    expect(page.get_by_test_id("customer-name")).to_contain_text("杭州云栖智能制造有限公司")
    expect(page.get_by_test_id("contacts-card").locator("li")).to_have_count(1)
    sources = page.get_by_test_id("source-leads")
    expect(sources).to_contain_text("王建国")
    expect(sources).to_contain_text("网页表单 · 2026 春季智能制造峰会")
    expect(sources).to_contain_text("新线索 → 已转化")
