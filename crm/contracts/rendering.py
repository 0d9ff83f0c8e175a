"""Contract templates rendered safely, and the PDF drawn from them by WeasyPrint.

Templates are written by administrators, so they run in a sandbox: a template engine with no
loaders and only the tags in `sandbox_tags`, a context of plain values (never model instances,
whose relations would reach the database), and a PDF renderer that fetches no file or URL.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.template import Context, Engine, Template, TemplateSyntaxError
from django.utils import translation
from django.utils.translation import gettext as _

from crm.contracts.errors import TemplateRenderFailed
from crm.contracts.models import Contract, ContractLine
from crm.core import clock
from crm.core.errors import FieldError
from crm.customers.models import Customer
from crm.quotes.templatetags.quote_money import currency_amount, plain_number

DEFAULT_TEMPLATE_FILE = Path(__file__).parent / "templates" / "contracts" / "default_contract_template.html"
# Chinese needs a CJK font; a template that names no font of its own still renders Chinese.
BASE_CSS = 'body { font-family: "Noto Sans CJK SC", "Noto Sans CJK", sans-serif; font-size: 10pt; }'
MAX_OUTPUT = 2_000_000


class _SandboxEngine(Engine):
    default_builtins = ["django.template.defaultfilters", "crm.contracts.sandbox_tags"]


_ENGINE = _SandboxEngine(loaders=[("django.template.loaders.locmem.Loader", {})], libraries={})


def default_template_body() -> str:
    return DEFAULT_TEMPLATE_FILE.read_text(encoding="utf-8")


DIGITS = "零壹贰叁肆伍陆柒捌玖"
SMALL_UNITS = ["", "拾", "佰", "仟"]
BIG_UNITS = ["", "万", "亿", "万亿"]


def amount_in_words(amount: Decimal) -> str:
    """人民币大写: 1234.50 → 壹仟贰佰叁拾肆元伍角整, as contracts state the price in words."""
    cents = int((abs(amount) * 100).quantize(Decimal(1)))
    yuan, fraction = divmod(cents, 100)
    jiao, fen = divmod(fraction, 10)
    groups: list[int] = []
    while yuan:
        yuan, group = divmod(yuan, 10000)
        groups.append(group)
    text = ""
    zero_pending = False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            zero_pending = bool(text)
            continue
        part = ""
        for position in range(3, -1, -1):
            digit = group // 10**position % 10
            if digit:
                if zero_pending:
                    part += "零"
                    zero_pending = False
                part += DIGITS[digit] + SMALL_UNITS[position]
            elif part or text:
                zero_pending = True
        text += part + BIG_UNITS[index]
        zero_pending = group % 10 == 0
    text = (text or "零") + "元"
    if jiao or fen:
        text += (DIGITS[jiao] + "角" if jiao else ("零" if fen else "")) + (DIGITS[fen] + "分" if fen else "")
    else:
        text += "整"
    return ("负" if amount < 0 else "") + text


def _date(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


def contract_context(
    *, contract: Contract, customer: Customer, lines: list[ContractLine], company: str
) -> dict[str, Any]:
    """What a template may show: plain text and numbers only, nothing with a database behind it."""
    currency = contract.currency
    return {
        "contract": {
            "number": contract.number,
            "title": contract.title,
            "status": str(contract.get_status_display()),
            "amount": currency_amount(contract.amount, currency),
            "amount_value": str(contract.amount),
            "amount_in_words": amount_in_words(contract.amount) if currency == "CNY" else "",
            "currency": currency,
            "signed_on": _date(contract.signed_on),
            "starts_on": _date(contract.starts_on),
            "ends_on": _date(contract.ends_on),
            "our_party": contract.our_party or company,
            "customer_party": contract.customer_party or customer.name,
            "owner": str(contract.owner),
            "notes": contract.notes,
        },
        "customer": {
            "name": customer.name,
            "credit_code": customer.credit_code,
            "address": " ".join(part for part in (customer.region, customer.street) if part),
        },
        "lines": [
            {
                "number": index,
                "name": line.name,
                "sku": line.sku,
                "unit": line.unit,
                "quantity": plain_number(line.quantity),
                "unit_price": currency_amount(line.unit_price, currency),
                "discount": plain_number(line.discount_percent),
                "tax_rate": plain_number(line.tax_rate),
                "total": currency_amount(line.total, currency),
            }
            for index, line in enumerate(lines, start=1)
        ],
        "lines_total": currency_amount(sum((line.total for line in lines), Decimal(0)), currency),
        "company": company,
        "today": clock.today().isoformat(),
    }


def sample_context() -> dict[str, Any]:
    """A context with every placeholder filled, to check a template before it is saved."""
    return {
        "contract": {
            "number": "HT-2026-00001",
            "title": "样例合同",
            "status": "",
            "amount": "¥1,000.00",
            "amount_value": "1000.00",
            "amount_in_words": "壹仟元整",
            "currency": "CNY",
            "signed_on": "2026-01-01",
            "starts_on": "2026-01-01",
            "ends_on": "2026-12-31",
            "our_party": "",
            "customer_party": "",
            "owner": "",
            "notes": "",
        },
        "customer": {"name": "", "credit_code": "", "address": ""},
        "lines": [
            {
                "number": 1,
                "name": "",
                "sku": "",
                "unit": "",
                "quantity": "1",
                "unit_price": "",
                "discount": "0",
                "tax_rate": "13",
                "total": "",
            }
        ],
        "lines_total": "",
        "company": "",
        "today": "2026-01-01",
    }


def _failed(detail: str) -> TemplateRenderFailed:
    message = _("The contract template cannot be used: %(detail)s") % {"detail": detail}
    return TemplateRenderFailed(message, errors=[FieldError(field="body", message=message)])


def render_body(body: str, context: dict[str, Any]) -> str:
    """The template filled in with `context`; any problem is a TemplateRenderFailed, never a crash."""
    try:
        template = Template(body, engine=_ENGINE)
    except TemplateSyntaxError as exc:
        raise _failed(str(exc)) from None
    try:
        html = template.render(Context(context, autoescape=True))
    except Exception as exc:
        raise _failed(f"{type(exc).__name__}: {exc}") from None
    if len(html) > MAX_OUTPUT:
        raise _failed(_("the rendered document is too large"))
    return html


def check_body(body: str) -> None:
    """Refuse a template that does not compile or render against a complete sample."""
    render_body(body, sample_context())


def render_pdf(html: str, *, language: str | None = None) -> bytes:
    """The PDF of rendered contract HTML; external resources are not fetched."""
    # Imported here: loading Pango costs a noticeable moment that only PDF requests should pay.
    from weasyprint import CSS, HTML
    from weasyprint.urls import URLFetcher

    # A template must not read local files or call out to the network; inline data: URLs suffice.
    fetcher = URLFetcher(allowed_protocols={"data"}, allow_redirects=False)
    with translation.override(language or translation.get_language()):
        document = HTML(string=html, url_fetcher=fetcher)
        return bytes(document.write_pdf(stylesheets=[CSS(string=BASE_CSS, url_fetcher=fetcher)]))
