"""A quote as a PDF, drawn by WeasyPrint from an HTML template with Chinese set in Noto Sans CJK SC."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import translation

from crm.identity.models import Team, TeamKind
from crm.quotes.models import Quote
from crm.quotes.selectors import quote_lines


def company_name() -> str:
    """The name on the letterhead: the top of the organisation tree."""
    company = Team.objects.filter(kind=TeamKind.COMPANY, parent__isnull=True).order_by("id").first()
    return company.name if company is not None else ""


def quote_pdf(quote: Quote, *, language: str | None = None) -> bytes:
    """The PDF of one revision, in `language` (the current one by default)."""
    # Imported here: loading Pango costs a noticeable moment that only PDF requests should pay.
    from weasyprint import HTML

    with translation.override(language or translation.get_language()):
        html = render_to_string(
            "quotes/quote_pdf.html",
            {
                "quote": quote,
                "deal": quote.deal,
                "customer": quote.deal.customer,
                "lines": quote_lines(quote=quote),
                "company": company_name(),
            },
        )
    return bytes(HTML(string=html).write_pdf())


def pdf_filename(quote: Quote) -> str:
    return f"{quote.number}-v{quote.revision}.pdf"
