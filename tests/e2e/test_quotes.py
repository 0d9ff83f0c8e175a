"""Quotes in the browser: create a quote on a deal, add a product line through htmx, download its PDF; a discount
above the rep's limit goes through the approval engine's panel before the quote can be sent."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from conftest import Org
from crm.customers.services import contact_create
from crm.customers.tests.factories import a_customer
from crm.deals.models import Deal
from crm.deals.tests.conftest import ensure_default_pipeline
from crm.deals.tests.factories import a_deal
from crm.quotes.models import Quote, QuoteStatus
from crm.quotes.tests.conftest import ensure_discount_limits, ensure_quote_approval_flow
from crm.quotes.tests.factories import a_line, a_product, a_quote, fresh
from tests.e2e.actions import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _seeded(transactional_db: None) -> None:
    ensure_default_pipeline()
    ensure_discount_limits()
    ensure_quote_approval_flow()


def test_create_a_quote_with_a_line_and_download_its_pdf(page: Page, org: Org, tmp_path: Path) -> None:
    # given a rep's deal and a product in the catalogue
    deal = a_deal(org.rep_a1, a_customer(org.rep_a1, name="苏州恒泰精密制造有限公司"), name="云桌面二期")
    a_product("YZM-PRO", name="云桌面专业版授权", list_price="2200.00")
    sign_in(page, "rep_a1")

    # when the rep opens the deal's quotes panel and creates a quote
    page.goto(f"/quotes/deal/{deal.pk}/panel/")
    page.get_by_test_id("new-quote").click()
    expect(page.get_by_test_id("quote-title")).to_contain_text("v1")

    # and adds 10 licences at 5% off
    page.get_by_test_id("line-product").select_option(label="YZM-PRO 云桌面专业版授权 (¥2,200.00/套)")
    page.get_by_test_id("line-quantity").fill("10")
    page.get_by_test_id("line-discount").fill("5")
    page.get_by_test_id("add-line-button").click()

    # then the line and the totals are recalculated on the server: 20,900.00 + 13% = 23,617.00
    expect(page.get_by_test_id("quote-line")).to_have_count(1)
    expect(page.get_by_test_id("subtotal")).to_have_text("¥20,900.00")
    expect(page.get_by_test_id("total")).to_have_text("¥23,617.00")
    # and 5% is within a rep's limit: no approval is asked for
    expect(page.get_by_test_id("request-approval")).to_have_count(0)
    expect(page.get_by_test_id("approval-slot")).to_have_count(0)

    # and the PDF downloads
    with page.expect_download() as download_info:
        page.get_by_test_id("download-pdf").click()
    download = download_info.value
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    assert download.suggested_filename.endswith("-v1.pdf")
    assert target.read_bytes().startswith(b"%PDF")


def _quote_above_the_limit(org: Org) -> Quote:
    """rep_a1's quote with a 15% line (a rep may give 10%), for a customer with an email contact."""
    customer = a_customer(org.rep_a1, name="无锡华晟新材料有限公司")
    contact_create(
        actor=org.actor(org.rep_a1), values={"customer_id": customer.pk, "name": "吴倩", "email": "wuqian@huasheng.cn"}
    )
    deal: Deal = a_deal(org.rep_a1, customer, name="华晟云桌面")
    quote = a_quote(deal)
    a_line(quote, discount_percent="15")
    return fresh(quote)


def _submit(page: Page, quote: Quote) -> None:
    page.goto(f"/quotes/{quote.pk}/")
    expect(page.get_by_test_id("send-quote")).to_have_count(0)
    page.get_by_test_id("request-approval").click()
    expect(page.get_by_test_id("approval-locked")).to_be_visible()
    expect(page.locator('[data-testid="approval-panel"] [data-status="pending"]')).to_be_visible()
    expect(page.get_by_test_id("approve")).to_have_count(0)


def test_a_discount_above_the_limit_is_sent_after_the_manager_approves(new_page: Callable[..., Page], org: Org) -> None:
    # given a quote above the rep's limit, submitted by the rep
    quote = _quote_above_the_limit(org)
    rep = new_page()
    sign_in(rep, "rep_a1")
    _submit(rep, quote)

    # when the team's manager approves it in the panel on the quote page
    manager = new_page()
    sign_in(manager, "east_a_manager")
    manager.goto(f"/quotes/{quote.pk}/")
    manager.get_by_test_id("approval-panel").locator("textarea[name=comment]").fill("战略客户，同意")
    manager.get_by_test_id("approve").click()

    # then the page refreshes to an approved quote that may be sent
    expect(manager.get_by_test_id("decided-by")).to_be_visible()
    expect(manager.get_by_test_id("send-quote")).to_be_visible()
    assert fresh(quote).status == QuoteStatus.APPROVED

    # and the rep sends it
    rep.reload()
    rep.get_by_test_id("send-quote").click()
    # (the recipient list already names the address: wait for the page that says it was sent)
    expect(rep.get_by_test_id("quote-sent")).to_contain_text("wuqian@huasheng.cn")
    assert fresh(quote).status == QuoteStatus.SENT
    assert [message.to for message in mail.outbox] == [["wuqian@huasheng.cn"]]


def test_a_rejected_discount_cannot_be_sent(new_page: Callable[..., Page], org: Org) -> None:
    # given a submitted quote
    quote = _quote_above_the_limit(org)
    rep = new_page()
    sign_in(rep, "rep_a1")
    _submit(rep, quote)

    # when the manager rejects it with a reason, from the approvals queue
    manager = new_page()
    sign_in(manager, "east_a_manager")
    manager.goto("/approvals/")
    manager.get_by_role("link", name=quote.number).first.click()
    manager.get_by_test_id("approval-panel").locator("textarea[name=comment]").fill("折扣过高，请降到 10% 以内")
    manager.get_by_test_id("reject").click()

    # then the rep sees the reason, cannot send, and may change the quote or ask again
    rep.reload()
    expect(rep.get_by_test_id("approval-panel")).to_contain_text("折扣过高，请降到 10% 以内")
    expect(rep.get_by_test_id("send-quote")).to_have_count(0)
    expect(rep.get_by_test_id("request-approval")).to_be_visible()
    assert fresh(quote).status == QuoteStatus.REJECTED
