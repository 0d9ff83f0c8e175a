"""Steps several browser tests share: signing in and out through the real forms."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from conftest import PASSWORD


def sign_in(page: Page, username: str, password: str = PASSWORD) -> None:
    """Sign in through the login form and wait for the home page."""
    page.goto("/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    page.get_by_test_id("sign-in").click()
    expect(page.get_by_test_id("recent-customers")).to_be_visible()


def sign_out(page: Page) -> None:
    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("sign-out").click()
    expect(page.get_by_test_id("sign-in")).to_be_visible()
