"""Creating a customer and a contact, logging follow-ups, and concurrent edits."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from conftest import Org
from crm.customers.models import Customer
from crm.customers.services import customer_create
from tests.e2e.actions import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_create_customer_then_add_a_contact(page: Page, org: Org) -> None:
    # given rep_a1 on the new-customer form
    sign_in(page, "rep_a1")
    page.goto("/customers/new/")
    form = page.get_by_test_id("customer-form")
    # when they fill it in and save
    form.locator("input[name=name]").fill("杭州云栖网络科技有限公司")
    form.locator("input[name=industry]").fill("软件与信息服务")
    form.locator("button[type=submit]").click()
    # then they are on the new customer's page
    expect(page).to_have_url(re.compile(r"/customers/\d+/$"))
    expect(page.get_by_test_id("customer-name")).to_contain_text("杭州云栖网络科技有限公司")
    expect(page.get_by_test_id("contacts-card")).not_to_contain_text("陈静")

    # when they add a contact from the customer page
    page.get_by_test_id("add-contact").click()
    contact_form = page.get_by_test_id("contact-form")
    expect(contact_form.locator("select[name=customer_id] option:checked")).to_have_text("杭州云栖网络科技有限公司")
    contact_form.locator("input[name=name]").fill("陈静")
    contact_form.locator("input[name=title]").fill("采购经理")
    contact_form.locator("input[name=mobile]").fill("139 1234 5678")
    contact_form.locator("button[type=submit]").click()
    # then they are back on the customer page, and the contact is listed there
    expect(page.get_by_test_id("customer-name")).to_contain_text("杭州云栖网络科技有限公司")
    contacts = page.get_by_test_id("contacts-card")
    expect(contacts).to_contain_text("陈静")
    expect(contacts).to_contain_text("采购经理")


def test_follow_up_appears_on_the_timeline_without_reload(page: Page, org: Org) -> None:
    # given rep_a1 on their customer's page, with the follow-up form loaded by HTMX
    customer = customer_create(actor=org.actor(org.rep_a1), values={"name": "苏州恒瑞精密机械有限公司"})
    sign_in(page, "rep_a1")
    page.goto(f"/customers/{customer.pk}/")
    form = page.get_by_test_id("activity-form")
    expect(form).to_be_visible()
    page.evaluate("window.__samePage = true")
    # when they log a follow-up
    form.locator("textarea[name=content]").fill("电话沟通报价，客户希望下周安排产品演示。")
    form.locator("input[name=next_step]").fill("准备演示环境")
    form.locator("button[type=submit]").click()
    # then it shows on the timeline, and the page was not reloaded
    timeline = page.get_by_test_id("timeline")
    expect(timeline.get_by_test_id("timeline-content")).to_have_text(["电话沟通报价，客户希望下周安排产品演示。"])
    expect(timeline).to_contain_text("准备演示环境")
    assert page.evaluate("window.__samePage") is True
    # and the form is empty again for the next one
    expect(page.get_by_test_id("activity-form").locator("textarea[name=content]")).to_have_value("")


def test_follow_up_without_content_shows_the_field_error(page: Page, org: Org) -> None:
    # given rep_a1 on their customer's page
    customer = customer_create(actor=org.actor(org.rep_a1), values={"name": "苏州恒瑞精密机械有限公司"})
    sign_in(page, "rep_a1")
    page.goto(f"/customers/{customer.pk}/")
    form = page.get_by_test_id("activity-form")
    expect(form).to_be_visible()
    page.evaluate("window.__samePage = true")
    # when they save a follow-up with no content
    form.locator("button[type=submit]").click()
    # then the content field says it is required, in place, and nothing was logged
    expect(page.locator("[data-field-error=content]")).to_have_text("此项为必填项。")
    expect(page.get_by_test_id("timeline-content")).to_have_count(0)
    assert page.evaluate("window.__samePage") is True


def test_concurrent_edit_shows_the_conflict_and_keeps_the_first_change(new_page: Callable[..., Page], org: Org) -> None:
    # given the same customer's edit form open in two pages
    customer = customer_create(
        actor=org.actor(org.rep_a1), values={"name": "无锡新澄环保设备有限公司", "industry": "环保"}
    )
    first, second = new_page(), new_page()
    sign_in(first, "rep_a1")
    sign_in(second, "rep_a1")
    for page in (first, second):
        page.goto(f"/customers/{customer.pk}/edit/")
        expect(page.get_by_test_id("customer-form")).to_be_visible()

    # when the first page saves a new industry
    first.locator("input[name=industry]").fill("节能环保")
    first.get_by_test_id("customer-form").locator("button[type=submit]").click()
    expect(first).to_have_url(re.compile(rf"/customers/{customer.pk}/$"))
    # and the second page then saves a different one
    second.locator("input[name=industry]").fill("水处理")
    second.get_by_test_id("customer-form").locator("button[type=submit]").click()

    # then the second page shows the conflict, naming the changed field and both values
    conflict = second.get_by_test_id("conflict")
    expect(conflict).to_be_visible()
    expect(conflict).to_contain_text("行业")
    expect(conflict).to_contain_text("环保 → 节能环保")
    # and the first user's change is kept
    assert Customer.objects.get(pk=customer.pk).industry == "节能环保"
    first.reload()
    expect(first.get_by_test_id("customer-name")).to_be_visible()
    expect(first.locator("main")).to_contain_text("节能环保")
    expect(first.locator("main")).not_to_contain_text("水处理")
