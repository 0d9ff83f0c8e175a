"""Quotes in the browser: create a quote on a deal, add a product line through htmx, download its PDF."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from conftest import Org
from crm.customers.tests.factories import a_customer
from crm.deals.tests.conftest import ensure_default_pipeline
from crm.deals.tests.factories import a_deal
from crm.quotes.tests.conftest import ensure_discount_limits
from crm.quotes.tests.factories import a_product
from tests.e2e.actions import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _seeded(transactional_db: None) -> None:
    ensure_default_pipeline()
    ensure_discount_limits()


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

    # and the PDF downloads
    with page.expect_download() as download_info:
        page.get_by_test_id("download-pdf").click()
    download = download_info.value
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    assert download.suggested_filename.endswith("-v1.pdf")
    assert target.read_bytes().startswith(b"%PDF")
