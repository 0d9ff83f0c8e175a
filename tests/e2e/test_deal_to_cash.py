"""From a won deal to cash in the browser: contract, approval, payment plan, a partial payment, receivables."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from playwright.sync_api import Locator, Page, expect

from conftest import Org
from crm.contracts.tests.factories import a_manager_flow, a_won_deal, an_accepted_quote
from crm.core import clock
from crm.customers.tests.factories import a_customer
from crm.deals.tests.conftest import ensure_default_pipeline
from crm.quotes.tests.conftest import ensure_discount_limits
from tests.e2e.actions import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _seeded(transactional_db: None) -> None:
    ensure_default_pipeline()
    ensure_discount_limits()


def _row(table: Locator, text: str) -> Locator:
    return table.locator("tbody tr", has_text=text)


def _set_instalment(page: Page, position: int, amount: str, due_on: dt.date) -> None:
    editor = page.get_by_test_id("plan-editor")
    editor.locator("input[name=instalment_amount]").nth(position).fill(amount)
    editor.locator("input[name=instalment_due_on]").nth(position).fill(due_on.isoformat())


def test_won_deal_to_cash(new_page: Callable[..., Page], org: Org) -> None:
    # given a won deal with an accepted quote (¥8,012.00), and contracts approved by the team's manager
    customer = a_customer(org.rep_a1, name="苏州恒泰精密制造有限公司")
    deal = a_won_deal(org.rep_a1, customer=customer, name="恒泰云桌面项目")
    an_accepted_quote(deal)
    a_manager_flow()
    today = clock.today()
    first_due, second_due = today + dt.timedelta(days=30), today + dt.timedelta(days=120)
    rep = new_page()
    sign_in(rep, "rep_a1")

    # when the rep creates the contract from the deal and submits it
    rep.goto(f"/deals/{deal.pk}/")
    rep.get_by_test_id("create-contract").click()
    expect(rep.locator("input[name=amount]")).to_have_value("8012.00")
    rep.locator("input[name=starts_on]").fill(today.isoformat())
    rep.locator("input[name=ends_on]").fill((today + dt.timedelta(days=364)).isoformat())
    rep.get_by_test_id("save-contract").click()
    expect(rep.get_by_test_id("contract-status")).to_have_text("草稿")
    contract_url = rep.url
    number = rep.get_by_test_id("contract-number").inner_text()
    # a draft owes nothing yet: no payment is taken before signing
    expect(rep.get_by_test_id("payments-panel")).to_contain_text("合同签订后才能登记回款")
    rep.get_by_test_id("submit-contract").click()
    expect(rep.get_by_test_id("contract-status")).to_have_text("审批中")

    # when the manager finds it in their queue and approves it
    manager = new_page()
    sign_in(manager, "east_a_manager")
    manager.goto("/approvals/")
    manager.get_by_test_id("queue-row").filter(has_text=number).get_by_role("link").click()
    manager.get_by_test_id("approve").click()
    expect(manager.get_by_test_id("decided-by")).to_be_visible()
    manager.get_by_test_id("open-record").click()
    expect(manager.get_by_test_id("contract-status")).to_have_text("生效中")

    # when the rep plans two instalments, forgetting the second one's due date
    rep.goto(contract_url)
    expect(rep.get_by_test_id("contract-status")).to_have_text("生效中")
    panel = rep.get_by_test_id("payments-panel")
    expect(panel.get_by_test_id("instalment-table")).to_contain_text("还没有回款计划")
    expect(rep.get_by_test_id("plan-editor")).to_contain_text("各期金额合计必须等于合同金额 8,012.00")
    _set_instalment(rep, 0, "5000.00", first_due)
    rep.get_by_test_id("add-instalment").click()
    rep.get_by_test_id("plan-editor").locator("input[name=instalment_amount]").nth(1).fill("3000.00")
    rep.get_by_test_id("save-plan").click()

    # then the refusal names the row and the field
    error = rep.get_by_test_id("plan-editor").get_by_test_id("panel-error")
    expect(error).to_contain_text("第 2 期 · 截止日期：此项为必填项。")

    # when the date is filled in but the two instalments miss the contract amount by ¥12
    _set_instalment(rep, 1, "3000.00", second_due)
    rep.get_by_test_id("save-plan").click()

    # then the plan is refused, naming the sum and the difference, and nothing was saved
    error = rep.get_by_test_id("plan-editor").get_by_test_id("panel-error")
    expect(error).to_contain_text("分期合计 8000.00，但合同金额为 8012.00（相差 12.00）")
    expect(rep.get_by_test_id("instalment-table")).to_contain_text("还没有回款计划")
    # the rows typed stay in the editor to be corrected
    expect(rep.get_by_test_id("plan-editor").locator("input[name=instalment_amount]")).to_have_count(2)

    # when the second instalment is corrected, the plan is saved
    _set_instalment(rep, 1, "3012.00", second_due)
    rep.get_by_test_id("save-plan").click()
    instalments = rep.get_by_test_id("instalment-table")
    expect(_row(instalments, first_due.isoformat())).to_contain_text("5,000.00")
    expect(_row(instalments, second_due.isoformat())).to_contain_text("3,012.00")
    expect(_row(instalments, first_due.isoformat())).to_contain_text("未到期")

    # when the rep tries to record more than the contract still owes
    rep.get_by_test_id("payment-form").locator("summary").click()
    form = rep.get_by_test_id("payment-form")
    form.locator("input[name=amount]").fill("9000")
    form.locator("input[name=reference]").fill("HT-20260301-01")
    rep.get_by_test_id("save-payment").click()

    # then it is refused with the amount still open, and the form keeps what was typed
    error = rep.get_by_test_id("payment-form").get_by_test_id("panel-error")
    expect(error).to_contain_text("本次回款 9000.00 超过合同尚未回款的 8012.00")
    expect(rep.get_by_test_id("payment-table")).to_contain_text("还没有回款")
    expect(rep.get_by_test_id("payment-form").locator("input[name=reference]")).to_have_value("HT-20260301-01")

    # when the rep pays part of the first instalment, chosen explicitly
    form = rep.get_by_test_id("payment-form")
    form.locator("input[name=amount]").fill("2000")
    rep.get_by_test_id("allocate-explicit").check()
    form.get_by_label("第 1 期的金额").fill("2000")
    rep.get_by_test_id("save-payment").click()

    # then the panel shows what was collected and what is still owed, instalment by instalment
    expect(rep.get_by_test_id("total-collected")).to_have_text("2,000.00")
    expect(rep.get_by_test_id("total-outstanding")).to_have_text("6,012.00")
    instalments = rep.get_by_test_id("instalment-table")
    first = _row(instalments, first_due.isoformat())
    expect(first).to_contain_text("部分回款")
    expect(first).to_contain_text("3,000.00")
    expect(_row(rep.get_by_test_id("payment-table"), "HT-20260301-01")).to_contain_text("#1 2,000.00")

    # and the receivables report shows the rep's collected and outstanding amounts, and the contract's
    rep.goto("/payments/receivables/")
    owner_row = _row(rep.get_by_test_id("receivables-table"), "张伟")
    expect(owner_row).to_contain_text("8,012.00")
    expect(owner_row).to_contain_text("2,000.00")
    expect(owner_row).to_contain_text("6,012.00")
    rep.get_by_label("分组").select_option("contract")
    rep.get_by_role("button", name="筛选").click()
    contract_row = _row(rep.get_by_test_id("receivables-table"), number)
    expect(contract_row).to_contain_text("2,000.00")
    expect(contract_row).to_contain_text("6,012.00")

    # and the customer page shows what is paid and what falls due next
    rep.goto(f"/customers/{customer.pk}/")
    card = rep.get_by_test_id("customer-payments")
    expect(card).to_contain_text("已回款")
    expect(card).to_contain_text("2,000.00")
    expect(card).to_contain_text("6,012.00")
    due_next = card.get_by_test_id("due-next")
    expect(due_next.locator("li").first).to_contain_text(first_due.isoformat())
    expect(due_next.locator("li").first).to_contain_text("3,000.00")
    expect(due_next.locator("li").nth(1)).to_contain_text("3,012.00")

    # and its link leads back to the contract
    due_next.get_by_role("link").first.click()
    expect(rep.get_by_test_id("contract-number")).to_have_text(number)
