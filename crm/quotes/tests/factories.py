"""Products and quotes built through the services, as a user would build them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from crm.core.actors import system_actor
from crm.deals.models import Deal
from crm.identity.models import User
from crm.quotes.models import Product, Quote, QuoteLine
from crm.quotes.services import product_create, quote_create, quote_line_add

ADMIN = system_actor("test")


def a_product(sku: str = "YZM-STD", **values: Any) -> Product:
    data: dict[str, Any] = {
        "sku": sku,
        "name": "云桌面标准版授权",
        "unit": "套",
        "list_price": "1200.00",
        "tax_rate": "13",
    }
    data.update(values)
    return product_create(actor=ADMIN, values=data)


def a_quote(deal: Deal, **values: Any) -> Quote:
    return quote_create(actor=ADMIN, deal_id=deal.pk, values=values)


def a_line(quote: Quote, product: Product | None = None, **values: Any) -> QuoteLine:
    """A line on the quote, written by the system so tests can arrange any discount."""
    data: dict[str, Any] = {"product_id": product.pk if product else None, "quantity": "1"}
    if product is None:
        data.update({"description": "实施服务", "unit_price": "5000.00", "tax_rate": "6"})
    data.update(values)
    current = Quote.objects.get(pk=quote.pk)
    line = quote_line_add(actor=ADMIN, quote_id=quote.pk, version=current.version, values=data)
    quote.refresh_from_db()
    return line


def fresh(quote: Quote) -> Quote:
    return Quote.objects.get(pk=quote.pk)


def money(text: str) -> Decimal:
    return Decimal(text)


def user_named(username: str) -> User:
    return User.objects.get(username=username)
