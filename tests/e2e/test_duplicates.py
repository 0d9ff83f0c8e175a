"""Duplicate warning on create (live, then on save) and a merge with undo, in the browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from conftest import Org
from crm.customers.models import Customer
from crm.customers.tests.factories import a_customer
from tests.e2e.actions import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_known_phone_shows_the_candidate_and_create_anyway_saves(page: Page, org: Org) -> None:
    # given a customer of rep_a1 with a phone number
    existing = a_customer(org.rep_a1, name="北京字节跳动科技有限公司", phone="010-62345678")
    sign_in(page, "rep_a1")
    page.goto("/customers/new/")
    form = page.get_by_test_id("customer-form")

    # when they type a new company with that phone and leave the field
    form.locator("input[name=name]").fill("字节跳动(北京)科技有限公司")
    form.locator("input[name=phone]").fill("010 6234 5678")
    form.locator("input[name=email]").click()

    # then the existing customer shows up as a candidate while they type, with its score and reasons
    candidate = page.get_by_test_id("duplicate-candidate")
    expect(candidate).to_contain_text("北京字节跳动科技有限公司")
    expect(candidate).to_contain_text("电话相同 +861062345678")  # in the rep's language
    expect(candidate.get_by_role("link", name="北京字节跳动科技有限公司")).to_have_attribute(
        "href", f"/customers/{existing.pk}/"
    )

    # when they choose "save anyway" and save
    page.get_by_test_id("allow-duplicates").check()
    form.locator("button[type=submit]").click()

    # then the second customer is created
    expect(page).to_have_url(re.compile(r"/customers/\d+/$"))
    assert Customer.objects.count() == 2


def test_merge_two_customers_and_undo(page: Page, org: Org) -> None:
    # given two spellings of one company
    kept = a_customer(org.rep_a1, name="北京字节跳动科技有限公司", phone="")
    other = a_customer(org.rep_a1, name="字节跳动科技", phone="010-62345678")
    sign_in(page, "rep_a1")

    # when rep_a1 opens the merge screen, keeps the first name and the second's phone, and merges
    page.goto(f"/customers/duplicates/merge/customers/{kept.pk}/{other.pk}/")
    page.get_by_test_id("merge-row-name").locator("input[value=survivor]").check()
    expect(page.get_by_test_id("merge-row-phone").locator("input[value=loser]")).to_be_checked()
    page.get_by_test_id("merge-submit").click()

    # then the merge page offers an undo, and the kept customer has the phone
    expect(page.get_by_test_id("merge-undo")).to_be_visible()
    assert Customer.objects.get(pk=kept.pk).phone == "+861062345678"
    assert not Customer.objects.filter(pk=other.pk).exists()

    # when they undo it, the other customer is back
    page.get_by_test_id("merge-undo").click()
    expect(page).to_have_url(f"/customers/{other.pk}/")
    assert Customer.objects.get(pk=kept.pk).phone == ""
