"""Quote screens: the deal panel, the editor through htmx, approval and sending, the PDF, the catalogue pages."""

from __future__ import annotations

import re
import shutil
import subprocess
import zlib

import pytest
from django.core import mail
from django.test import Client

from conftest import PASSWORD, Org
from crm.approvals.models import ApprovalRequest
from crm.customers.services import contact_create
from crm.customers.tests.factories import a_customer
from crm.deals.tests.factories import a_deal
from crm.identity.models import User
from crm.quotes.models import Product, Quote, QuoteStatus
from crm.quotes.tests.factories import a_line, a_product, a_quote, fresh


def signed_in(user: User) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def pdf_text(pdf: bytes) -> tuple[set[str], str]:
    """The embedded font names and the characters the PDF can show, from its font maps.

    pdftotext (poppler) is used when installed; otherwise the ToUnicode maps of the embedded
    fonts say which characters the document draws.
    """
    streams = b""
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.DOTALL):
        try:
            streams += zlib.decompress(match.group(1))
        except zlib.error:
            continue
    fonts = {name.decode() for name in re.findall(rb"/BaseFont\s*/[A-Z]{6}\+([^\s/]+)", streams)}
    pdftotext = shutil.which("pdftotext")
    if pdftotext:
        result = subprocess.run([pdftotext, "-", "-"], input=pdf, capture_output=True, check=True)  # noqa: S603
        return fonts, result.stdout.decode()
    characters = "".join(chr(int(code, 16)) for code in re.findall(rb"<[0-9a-fA-F]{4}> <([0-9a-fA-F]{4})>", streams))
    return fonts, characters


def test_deal_panel_lists_the_quotes_with_their_totals(org: Org, django_assert_max_num_queries: object) -> None:
    # given a deal with two quotes, one with a line
    deal = a_deal(org.rep_a1)
    quote = a_quote(deal)
    a_line(quote)
    a_quote(deal)
    client = signed_in(org.rep_a1)

    # when its panel is loaded
    response = client.get(f"/quotes/deal/{deal.pk}/panel/", headers={"HX-Request": "true"})

    # then both are listed with the total in yuan and a button to create another
    html = response.content.decode()
    assert response.status_code == 200
    assert f"{quote.number} v1" in html
    assert "¥5,300.00" in html
    assert 'data-testid="new-quote"' in html


def test_deal_panel_query_count_does_not_grow_with_quotes(org: Org) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    deal = a_deal(org.rep_a1)
    a_quote(deal)
    client = signed_in(org.rep_a1)
    with CaptureQueriesContext(connection) as few:
        client.get(f"/quotes/deal/{deal.pk}/panel/")
    for _number in range(5):
        a_line(a_quote(deal))
    with CaptureQueriesContext(connection) as many:
        client.get(f"/quotes/deal/{deal.pk}/panel/")

    assert len(many) == len(few)


def test_product_list_query_count_does_not_grow_with_products(org: Org) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    a_product("P-000")
    client = signed_in(org.admin)
    with CaptureQueriesContext(connection) as few:
        client.get("/quotes/products/")
    for number in range(1, 20):
        a_product(f"P-{number:03d}")
    with CaptureQueriesContext(connection) as many:
        response = client.get("/quotes/products/")

    assert response.status_code == 200
    assert "P-019" in response.content.decode()
    assert len(many) == len(few)


def test_a_rep_of_another_team_gets_404_for_the_panel_and_the_quote(org: Org) -> None:
    deal = a_deal(org.rep_a1)
    quote = a_quote(deal)
    client = signed_in(org.rep_n1)

    assert client.get(f"/quotes/deal/{deal.pk}/panel/").status_code == 404
    assert client.get(f"/quotes/{quote.pk}/").status_code == 404
    assert client.get(f"/quotes/{quote.pk}/pdf/").status_code == 404
    assert client.post(f"/quotes/deal/{deal.pk}/new/").status_code == 404
    assert client.post(f"/quotes/{quote.pk}/lines/", {"version": 1, "description": "x"}).status_code == 404
    assert Quote.objects.count() == 1


def test_creating_a_quote_from_the_deal_opens_its_editor(org: Org) -> None:
    deal = a_deal(org.rep_a1)
    client = signed_in(org.rep_a1)

    response = client.post(f"/quotes/deal/{deal.pk}/new/")

    quote = Quote.objects.get(deal=deal)
    assert response.status_code == 302
    assert response["Location"] == f"/quotes/{quote.pk}/"
    assert 'data-testid="add-line"' in client.get(response["Location"]).content.decode()


def test_adding_a_line_through_htmx_returns_the_recalculated_editor(org: Org) -> None:
    # given an empty quote and a product
    quote = a_quote(a_deal(org.rep_a1))
    product = a_product()
    client = signed_in(org.rep_a1)

    # when a line of 2 units at 10% off is added through htmx
    response = client.post(
        f"/quotes/{quote.pk}/lines/",
        {"version": quote.version, "product_id": product.pk, "quantity": "2", "discount_percent": "10"},
        headers={"HX-Request": "true"},
    )

    # then the editor partial comes back with the new totals and the next version
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="quote-body"' in html
    assert "<html" not in html
    assert "¥2,160.00" in html
    assert "¥2,440.80" in html
    assert f'name="version" value="{fresh(quote).version}"' in html


def test_a_refused_line_shows_the_message_in_the_editor(org: Org) -> None:
    quote = a_quote(a_deal(org.rep_a1))
    client = signed_in(org.rep_a1)

    response = client.post(
        f"/quotes/{quote.pk}/lines/",
        {"version": quote.version, "description": "培训", "unit_price": "abc"},
        headers={"HX-Request": "true", "Accept-Language": "zh-hans"},
    )

    assert response.status_code == 200
    assert 'data-testid="quote-error"' in response.content.decode()
    assert fresh(quote).lines.count() == 0


def test_the_pdf_download_is_a_pdf_with_chinese_text_in_noto_sans_cjk(org: Org) -> None:
    # given a quote for a Chinese customer with a Chinese product line
    deal = a_deal(org.rep_a1, a_customer(org.rep_a1, name="上海云帆信息技术有限公司"))
    quote = a_quote(deal, terms="报价有效期三十天")
    a_line(quote, a_product(name="云桌面标准版授权"), quantity="1000")
    client = signed_in(org.rep_a1)

    # when the rep downloads the PDF
    response = client.get(f"/quotes/{quote.pk}/pdf/")

    # then it is a PDF, named after the quote, set in Noto Sans CJK, and shows the Chinese text
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{quote.number}-v1.pdf"'
    pdf = response.content
    assert pdf.startswith(b"%PDF")
    fonts, text = pdf_text(pdf)
    assert any("Noto" in font and "CJK" in font for font in fonts)
    for character in "报价单上海云帆桌面授权":
        assert character in text


def test_request_approval_and_approve_through_the_engines_panel(org: Org) -> None:
    # given a quote with a discount above the rep's limit, for a customer with an email contact
    customer = a_customer(org.rep_a1, name="宁波海曙电子有限公司")
    contact_create(
        actor=org.actor(org.rep_a1), values={"customer_id": customer.pk, "name": "钱敏", "email": "qm@hs.cn"}
    )
    quote = a_quote(a_deal(org.rep_a1, customer))
    a_line(quote, discount_percent="18")
    rep = signed_in(org.rep_a1)
    page = rep.get(f"/quotes/{quote.pk}/").content.decode()
    assert 'data-testid="request-approval"' in page
    assert 'data-testid="send-quote"' not in page

    # when the rep submits it
    response = rep.post(f"/quotes/{quote.pk}/approval/request/", {"version": fresh(quote).version})
    assert response.status_code == 302
    assert fresh(quote).status == QuoteStatus.PENDING_APPROVAL

    # then the quote page loads the engine's panel, where the manager (not the rep) may decide
    manager = signed_in(org.east_a_manager)
    page = manager.get(f"/quotes/{quote.pk}/").content.decode()
    assert f'hx-get="/approvals/panel/quote/{quote.pk}/"' in page
    assert 'data-testid="request-approval"' not in page
    panel = manager.get(f"/approvals/panel/quote/{quote.pk}/").content.decode()
    assert 'data-testid="approve"' in panel
    assert 'data-testid="approve"' not in rep.get(f"/approvals/panel/quote/{quote.pk}/").content.decode()
    request = ApprovalRequest.objects.get(kind="quote", target_id=quote.pk)
    assert manager.get("/approvals/").content.decode().count(f"/approvals/{request.pk}/") >= 1

    # and approving there (htmx) approves the quote and tells the page to refresh
    response = manager.post(
        f"/approvals/{request.pk}/approve/",
        {"kind": "quote", "target_id": quote.pk, "comment": "同意"},
        headers={"HX-Request": "true"},
    )
    assert response["HX-Trigger"] == "approval-changed"
    assert fresh(quote).status == QuoteStatus.APPROVED
    body = rep.get(f"/quotes/{quote.pk}/", headers={"HX-Request": "true"}).content.decode()
    assert body.lstrip().startswith('<div id="quote-body"')
    assert 'data-testid="send-quote"' in body


def test_rejecting_in_the_panel_keeps_the_quote_from_being_sent(org: Org) -> None:
    # given a submitted quote
    quote = a_quote(a_deal(org.rep_a1))
    a_line(quote, discount_percent="18")
    signed_in(org.rep_a1).post(f"/quotes/{quote.pk}/approval/request/", {"version": fresh(quote).version})
    request = ApprovalRequest.objects.get(kind="quote", target_id=quote.pk)

    # when the manager rejects it from the queue with a reason
    response = signed_in(org.east_a_manager).post(
        f"/approvals/{request.pk}/reject/", {"comment": "折扣过高", "next": f"/quotes/{quote.pk}/"}
    )

    # then the quote is rejected with the reason, and the rep may ask again but not send
    assert (response.status_code, response["Location"]) == (302, f"/quotes/{quote.pk}/")
    assert (fresh(quote).status, fresh(quote).approval_comment) == (QuoteStatus.REJECTED, "折扣过高")
    page = signed_in(org.rep_a1).get(f"/quotes/{quote.pk}/").content.decode()
    assert 'data-testid="request-approval"' in page
    assert 'data-testid="send-quote"' not in page


def test_a_quote_within_the_limit_shows_no_approval_panel(org: Org) -> None:
    quote = a_quote(a_deal(org.rep_a1))
    a_line(quote, discount_percent="5")

    page = signed_in(org.rep_a1).get(f"/quotes/{quote.pk}/").content.decode()

    assert "/approvals/panel/" not in page
    assert 'data-testid="request-approval"' not in page


def test_sending_from_the_page_emails_the_contact(org: Org) -> None:
    customer = a_customer(org.rep_a1, name="南京博远软件有限公司")
    contact = contact_create(
        actor=org.actor(org.rep_a1), values={"customer_id": customer.pk, "name": "孙悦", "email": "sunyue@boyuan.cn"}
    )
    quote = a_quote(a_deal(org.rep_a1, customer))
    a_line(quote)
    client = signed_in(org.rep_a1)

    response = client.post(f"/quotes/{quote.pk}/send/", {"version": fresh(quote).version, "contact_id": contact.pk})

    assert response.status_code == 302
    assert fresh(quote).status == QuoteStatus.SENT
    assert mail.outbox[0].to == ["sunyue@boyuan.cn"]


def test_catalogue_pages_are_for_administrators(org: Org) -> None:
    rep = signed_in(org.rep_a1)
    admin = signed_in(org.admin)

    assert rep.get("/quotes/products/").status_code == 200
    assert rep.get("/quotes/products/new/").status_code == 403
    assert rep.get("/quotes/discount-limits/").status_code == 403
    assert rep.get("/quotes/price-lists/").status_code == 403
    response = admin.post(
        "/quotes/products/new/",
        {
            "sku": "SVC-TRAIN",
            "name": "现场培训",
            "unit": "天",
            "list_price": "3000",
            "currency": "CNY",
            "tax_rate": "6",
        },
    )
    assert response.status_code == 302
    assert Product.objects.get(sku="SVC-TRAIN").tax_rate == 6


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_quote_page_renders_in_both_languages(org: Org, language: str) -> None:
    quote = a_quote(a_deal(org.rep_a1))
    a_line(quote)
    org.rep_a1.language = language
    org.rep_a1.save(update_fields=["language"])
    client = signed_in(org.rep_a1)

    html = client.get(f"/quotes/{quote.pk}/").content.decode()

    assert ("含税总计" if language == "zh-hans" else "Total (incl. tax)") in html
