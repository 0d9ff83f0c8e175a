"""Signing in with a username or an email, and a wrong password."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from conftest import PASSWORD, Org
from tests.e2e.actions import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_sign_in_with_username_lands_on_home(page: Page, live_server: LiveServer, org: Org) -> None:
    # given rep_a1 on the sign-in page
    # when they sign in with their username
    sign_in(page, "rep_a1")
    # then they see their home page, greeted by name
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_test_id("due-follow-ups")).to_be_visible()
    expect(page.locator("h1")).to_contain_text("张伟")


def test_sign_in_with_email_lands_on_home(page: Page, live_server: LiveServer, org: Org) -> None:
    # given / when rep_a1 signs in with their email address
    sign_in(page, "rep_a1@example.com")
    # then they are on the home page
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.locator("h1")).to_contain_text("张伟")


def test_wrong_password_shows_the_error(page: Page, org: Org) -> None:
    # given the sign-in page
    page.goto("/login/")
    # when rep_a1 types a wrong password
    page.locator("input[name=username]").fill("rep_a1")
    page.locator("input[name=password]").fill(PASSWORD + "-wrong")
    page.get_by_test_id("sign-in").click()
    # then the form says so, and they stay on the sign-in page
    expect(page.get_by_test_id("form-error")).to_have_text("用户名/邮箱或密码不正确。")
    expect(page).to_have_url(re.compile(r"/login/$"))
    expect(page.get_by_test_id("recent-customers")).to_have_count(0)
