"""A contract as a PDF: the chosen (or default) template filled in and drawn with Chinese fonts."""

from __future__ import annotations

from crm.contracts.models import Contract
from crm.contracts.rendering import contract_context, default_template_body, render_body, render_pdf
from crm.contracts.selectors import contract_lines, template_for_pdf
from crm.quotes.pdf import company_name


def contract_html(contract: Contract, *, template_id: int | None = None) -> str:
    """The filled-in HTML; a broken template raises TemplateRenderFailed (shown to the user, never a 500)."""
    template = template_for_pdf(template_id=template_id)
    body = template.body if template is not None else default_template_body()
    context = contract_context(
        contract=contract, customer=contract.customer, lines=contract_lines(contract=contract), company=company_name()
    )
    return render_body(body, context)


def contract_pdf(contract: Contract, *, template_id: int | None = None) -> bytes:
    return render_pdf(contract_html(contract, template_id=template_id))


def pdf_filename(contract: Contract) -> str:
    return f"{contract.number}.pdf".replace("/", "-")
