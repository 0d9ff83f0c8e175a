"""Switching the UI language, remembered on the user rather than on the browser."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from conftest import Org
from crm.identity.models import User
from tests.e2e.actions import sign_in, sign_out

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def expect_chinese(page: Page) -> None:
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_test_id("nav")).to_contain_text("客户")
    expect(page.get_by_test_id("nav")).not_to_contain_text("Customers")
    expect(page.get_by_test_id("switch-language")).to_have_text("English")


def expect_english(page: Page) -> None:
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_test_id("nav")).to_contain_text("Customers")
    expect(page.get_by_test_id("switch-language")).to_have_text("中文")


def test_switch_language_and_keep_it_across_sign_ins(new_page: Callable[..., Page], org: Org) -> None:
    # given rep_a1 signed in, seeing the default Chinese UI
    page = new_page()
    sign_in(page, "rep_a1")
    expect_chinese(page)

    # when they switch to English
    page.get_by_test_id("switch-language").click()
    # then the UI is English
    expect_english(page)
    expect(page.locator("h1")).to_contain_text("Hello")

    # when they switch back
    page.get_by_test_id("switch-language").click()
    # then it is Chinese again
    expect_chinese(page)

    # when they choose English, sign out, and sign in again from a browser without cookies
    page.get_by_test_id("switch-language").click()
    expect_english(page)
    sign_out(page)
    fresh = new_page()
    fresh.goto("/login/")
    expect(fresh.locator("html")).to_have_attribute("lang", "zh-hans")
    sign_in(fresh, "rep_a1")
    # then the UI is English: the choice was stored on the user
    expect_english(fresh)
    assert User.objects.get(pk=org.rep_a1.pk).language == "en"
