"""Contracts in the browser: a won deal becomes a contract, goes to approval, the manager approves it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from conftest import Org
from crm.contracts.models import Contract
from crm.contracts.tests.factories import a_manager_flow, a_won_deal, an_accepted_quote
from crm.customers.tests.factories import a_customer
from crm.deals.tests.conftest import ensure_default_pipeline
from crm.quotes.tests.conftest import ensure_discount_limits
from tests.e2e.actions import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _seeded(transactional_db: None) -> None:
    ensure_default_pipeline()
    ensure_discount_limits()


def test_won_deal_to_an_approved_contract(new_page: Callable[..., Page], org: Org) -> None:
    # given a won deal with an accepted quote, and contracts approved by the team's manager
    customer = a_customer(org.rep_a1, name="苏州恒泰精密制造有限公司")
    deal = a_won_deal(org.rep_a1, customer=customer, name="恒泰云桌面项目")
    an_accepted_quote(deal)
    a_manager_flow()
    rep = new_page()
    sign_in(rep, "rep_a1")

    # when the rep creates the contract from the deal page
    rep.goto(f"/deals/{deal.pk}/")
    rep.get_by_test_id("create-contract").click()

    # then the draft carries the quote's amount, and the rep fills in the term and saves
    expect(rep.get_by_test_id("contract-form")).to_be_visible()
    expect(rep.locator("input[name=amount]")).to_have_value("8012.00")
    rep.locator("input[name=starts_on]").fill("2026-03-01")
    rep.locator("input[name=ends_on]").fill("2027-02-28")
    rep.get_by_test_id("save-contract").click()
    expect(rep.get_by_test_id("contract-status")).to_have_text("草稿")
    expect(rep.get_by_test_id("contract-lines")).to_contain_text("云桌面标准版授权")
    expect(rep.get_by_test_id("contract-amount")).to_have_text("¥8,012.00")

    # when the rep submits it for approval, it is locked
    rep.get_by_test_id("submit-contract").click()
    expect(rep.get_by_test_id("contract-status")).to_have_text("审批中")
    expect(rep.get_by_test_id("locked-notice")).to_be_visible()
    expect(rep.get_by_test_id("edit-contract")).to_have_count(0)
    contract = Contract.objects.get(deal=deal)

    # when the team's manager opens it and approves
    manager = new_page()
    sign_in(manager, "east_a_manager")
    manager.goto(f"/contracts/{contract.pk}/")
    manager.get_by_test_id("approve").click()
    expect(manager.get_by_test_id("decided-by")).to_be_visible()

    # then the contract is in force
    manager.reload()
    expect(manager.get_by_test_id("contract-status")).to_have_text("生效中")
    rep.reload()
    expect(rep.get_by_test_id("contract-status")).to_have_text("生效中")
    expect(rep.get_by_test_id("terminate-form")).to_be_visible()
