"""Products and quotes API: `/api/v1/products`, `/api/v1/quotes`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema
from pydantic import Field

from crm.api.schemas import ERRORS
from crm.core.actors import Actor, api_actor
from crm.identity.rights import user_of
from crm.quotes import approval, selectors, sending, services
from crm.quotes.models import Product, Quote, QuoteLine
from crm.quotes.pdf import pdf_filename, quote_pdf

products_router = Router(tags=["products"])
quotes_router = Router(tags=["quotes"])


def _actor(request: HttpRequest) -> Actor:
    return api_actor(request.user)


# Products --------------------------------------------------------------------------------------


class ProductIn(Schema):
    sku: str
    name: str
    unit: str = "个"
    list_price: Decimal
    currency: str = "CNY"
    tax_rate: Decimal = Decimal(13)
    description: str = ""
    is_active: bool = True


class ProductPatch(Schema):
    version: int = Field(description="The version you read; a newer one on the server gives 409.")
    sku: str | None = None
    name: str | None = None
    unit: str | None = None
    list_price: Decimal | None = None
    currency: str | None = None
    tax_rate: Decimal | None = None
    description: str | None = None
    is_active: bool | None = None


class ProductOut(Schema):
    id: int
    version: int
    sku: str
    name: str
    unit: str
    list_price: Decimal
    currency: str
    tax_rate: Decimal
    description: str
    is_active: bool


class ProductPage(Schema):
    items: list[ProductOut]
    next_cursor: str | None


class ProductFilter(Schema):
    q: str = ""
    active: bool | None = None
    cursor: str | None = None
    limit: int = Field(25, ge=1, le=100)


def product_out(product: Product) -> dict[str, Any]:
    return {name: getattr(product, name) for name in ProductOut.model_fields if name != "id"} | {"id": product.pk}


@products_router.get("", response={200: ProductPage, **ERRORS}, operation_id="list_products")
def list_products(request: HttpRequest, filters: Query[ProductFilter]) -> dict[str, Any]:
    """The catalogue by SKU; `active=true` for what can be quoted. Follow `next_cursor` for more."""
    page = selectors.product_page(
        filters=selectors.ProductFilters(q=filters.q.strip(), active=filters.active),
        cursor=filters.cursor,
        size=filters.limit,
    )
    return {"items": [product_out(product) for product in page.items], "next_cursor": page.next_cursor}


@products_router.get("/{product_id}", response={200: ProductOut, **ERRORS}, operation_id="get_product")
def get_product(request: HttpRequest, product_id: int) -> dict[str, Any]:
    return product_out(selectors.product_get(product_id=product_id))


@products_router.post("", response={201: ProductOut, **ERRORS}, operation_id="create_product")
def create_product(request: HttpRequest, payload: ProductIn) -> tuple[int, dict[str, Any]]:
    """Administrators only."""
    return 201, product_out(services.product_create(actor=_actor(request), values=payload.dict()))


@products_router.patch("/{product_id}", response={200: ProductOut, **ERRORS}, operation_id="update_product")
def update_product(request: HttpRequest, product_id: int, payload: ProductPatch) -> dict[str, Any]:
    """Administrators only. Send the `version` you read: a newer one gives 409."""
    values = payload.dict(exclude_unset=True)
    version = values.pop("version")
    product = services.product_update(actor=_actor(request), product_id=product_id, version=version, values=values)
    return product_out(product)


# Quotes ----------------------------------------------------------------------------------------


class QuoteIn(Schema):
    deal_id: int
    price_list_id: int | None = None
    currency: str | None = None
    valid_until: dt.date | None = None
    discount_percent: Decimal | None = None
    notes: str | None = None
    terms: str | None = None


class QuotePatch(Schema):
    version: int = Field(description="The version you read; a newer one on the server gives 409.")
    price_list_id: int | None = None
    currency: str | None = None
    valid_until: dt.date | None = None
    discount_percent: Decimal | None = None
    notes: str | None = None
    terms: str | None = None


class LineIn(Schema):
    version: int = Field(description="The quote's version you read.")
    product_id: int | None = None
    description: str = ""
    unit: str = ""
    quantity: Decimal = Decimal(1)
    unit_price: Decimal | None = Field(None, description="Defaults to the price list, else the list price.")
    discount_percent: Decimal = Decimal(0)
    tax_rate: Decimal | None = Field(None, description="Defaults to the product's tax rate.")


class LinePatch(Schema):
    version: int = Field(description="The quote's version you read.")
    description: str | None = None
    unit: str | None = None
    quantity: Decimal | None = None
    unit_price: Decimal | None = None
    discount_percent: Decimal | None = None
    tax_rate: Decimal | None = None


class VersionIn(Schema):
    version: int


class DecisionIn(Schema):
    version: int
    comment: str = ""


class SendIn(Schema):
    version: int
    contact_id: int
    message: str = ""


class LineOut(Schema):
    id: int
    position: int
    product_id: int | None
    description: str
    unit: str
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    tax_rate: Decimal
    net_amount: Decimal
    tax_amount: Decimal


class QuoteRow(Schema):
    id: int
    version: int
    number: str
    revision: int
    is_superseded: bool
    status: str
    currency: str
    subtotal: Decimal
    tax_amount: Decimal
    total: Decimal
    valid_until: dt.date | None
    sent_at: dt.datetime | None
    created_at: dt.datetime


class QuoteOut(QuoteRow):
    deal_id: int
    price_list_id: int | None
    discount_percent: Decimal
    notes: str
    terms: str
    sent_to: str
    approval_requested_by_id: int | None
    approval_decided_by_id: int | None
    approval_decided_at: dt.datetime | None
    approval_comment: str
    needs_approval: bool = Field(description="Whether a discount is above your own limit.")
    lines: list[LineOut]
    updated_at: dt.datetime


class QuoteFilter(Schema):
    deal_id: int


def _row(quote: Quote) -> dict[str, Any]:
    return {name: getattr(quote, name) for name in QuoteRow.model_fields if name != "id"} | {"id": quote.pk}


def _line(line: QuoteLine) -> dict[str, Any]:
    return {name: getattr(line, name) for name in LineOut.model_fields if name != "id"} | {"id": line.pk}


def quote_out(actor: Actor, quote_id: int) -> dict[str, Any]:
    quote = selectors.quote_get(viewer=actor, quote_id=quote_id)
    lines = selectors.quote_lines(quote=quote)
    data = {name: getattr(quote, name) for name in QuoteOut.model_fields if hasattr(quote, name)}
    data.update(_row(quote))
    data["lines"] = [_line(line) for line in lines]
    data["needs_approval"] = approval.needs_approval(quote, user_of(actor), [line.discount_percent for line in lines])
    return data


@quotes_router.get("", response={200: list[QuoteRow], **ERRORS}, operation_id="list_quotes")
def list_quotes(request: HttpRequest, filters: Query[QuoteFilter]) -> list[dict[str, Any]]:
    """Every revision of the quotes of a deal you may see (404 for a deal you may not see)."""
    return [_row(quote) for quote in selectors.quotes_of_deal(viewer=_actor(request), deal_id=filters.deal_id)]


@quotes_router.post("", response={201: QuoteOut, **ERRORS}, operation_id="create_quote")
def create_quote(request: HttpRequest, payload: QuoteIn) -> tuple[int, dict[str, Any]]:
    """Open quote v1 on a deal you may change."""
    actor = _actor(request)
    values = payload.dict(exclude_unset=True, exclude={"deal_id"})
    quote = services.quote_create(actor=actor, deal_id=payload.deal_id, values=values)
    return 201, quote_out(actor, quote.pk)


@quotes_router.get("/{quote_id}", response={200: QuoteOut, **ERRORS}, operation_id="get_quote")
def get_quote(request: HttpRequest, quote_id: int) -> dict[str, Any]:
    return quote_out(_actor(request), quote_id)


@quotes_router.patch("/{quote_id}", response={200: QuoteOut, **ERRORS}, operation_id="update_quote")
def update_quote(request: HttpRequest, quote_id: int, payload: QuotePatch) -> dict[str, Any]:
    """Change the terms you send. A quote pending approval, sent or superseded gives 409 `quote_locked`."""
    actor = _actor(request)
    values = payload.dict(exclude_unset=True)
    version = values.pop("version")
    services.quote_update(actor=actor, quote_id=quote_id, version=version, values=values)
    return quote_out(actor, quote_id)


@quotes_router.post("/{quote_id}/lines", response={201: QuoteOut, **ERRORS}, operation_id="add_quote_line")
def add_quote_line(request: HttpRequest, quote_id: int, payload: LineIn) -> tuple[int, dict[str, Any]]:
    actor = _actor(request)
    values = payload.dict(exclude_unset=True)
    version = values.pop("version")
    services.quote_line_add(actor=actor, quote_id=quote_id, version=version, values=values)
    return 201, quote_out(actor, quote_id)


@quotes_router.patch(
    "/{quote_id}/lines/{line_id}", response={200: QuoteOut, **ERRORS}, operation_id="update_quote_line"
)
def update_quote_line(request: HttpRequest, quote_id: int, line_id: int, payload: LinePatch) -> dict[str, Any]:
    actor = _actor(request)
    values = payload.dict(exclude_unset=True)
    version = values.pop("version")
    services.quote_line_update(actor=actor, quote_id=quote_id, line_id=line_id, version=version, values=values)
    return quote_out(actor, quote_id)


@quotes_router.delete(
    "/{quote_id}/lines/{line_id}", response={200: QuoteOut, **ERRORS}, operation_id="remove_quote_line"
)
def remove_quote_line(request: HttpRequest, quote_id: int, line_id: int, version: int) -> dict[str, Any]:
    """Pass the quote's `version` as a query parameter."""
    actor = _actor(request)
    services.quote_line_remove(actor=actor, quote_id=quote_id, line_id=line_id, version=version)
    return quote_out(actor, quote_id)


@quotes_router.post("/{quote_id}/revisions", response={201: QuoteOut, **ERRORS}, operation_id="create_quote_revision")
def create_quote_revision(request: HttpRequest, quote_id: int) -> tuple[int, dict[str, Any]]:
    """Copy the latest revision into a new draft (v2, v3 …); older revisions become read-only."""
    actor = _actor(request)
    revision = services.quote_new_revision(actor=actor, quote_id=quote_id)
    return 201, quote_out(actor, revision.pk)


@quotes_router.post(
    "/{quote_id}/approval-request", response={200: QuoteOut, **ERRORS}, operation_id="request_quote_approval"
)
def request_quote_approval(request: HttpRequest, quote_id: int, payload: VersionIn) -> dict[str, Any]:
    """Submit discounts above your limit to the quote approval flow (by default your team's manager)."""
    actor = _actor(request)
    approval.quote_request_approval(actor=actor, quote_id=quote_id, version=payload.version)
    return quote_out(actor, quote_id)


@quotes_router.post("/{quote_id}/approve", response={200: QuoteOut, **ERRORS}, operation_id="approve_quote")
def approve_quote(request: HttpRequest, quote_id: int, payload: DecisionIn) -> dict[str, Any]:
    """Approve the current step of the quote's running approval (the same as `POST /approvals/{id}/approve`)."""
    actor = _actor(request)
    approval.quote_decide(
        actor=actor, quote_id=quote_id, version=payload.version, approved=True, comment=payload.comment
    )
    return quote_out(actor, quote_id)


@quotes_router.post("/{quote_id}/reject", response={200: QuoteOut, **ERRORS}, operation_id="reject_quote")
def reject_quote(request: HttpRequest, quote_id: int, payload: DecisionIn) -> dict[str, Any]:
    """Reject the quote's running approval (as `POST /approvals/{id}/reject`); a `comment` saying why is required."""
    actor = _actor(request)
    approval.quote_decide(
        actor=actor, quote_id=quote_id, version=payload.version, approved=False, comment=payload.comment
    )
    return quote_out(actor, quote_id)


@quotes_router.post("/{quote_id}/send", response={200: QuoteOut, **ERRORS}, operation_id="send_quote")
def send_quote(request: HttpRequest, quote_id: int, payload: SendIn) -> dict[str, Any]:
    """Email the PDF to a contact of the deal's customer; logged as an email follow-up."""
    actor = _actor(request)
    sending.quote_send(
        actor=actor, quote_id=quote_id, version=payload.version, contact_id=payload.contact_id, message=payload.message
    )
    return quote_out(actor, quote_id)


@quotes_router.get("/{quote_id}/pdf", response={200: None, **ERRORS}, operation_id="download_quote_pdf")
def download_quote_pdf(request: HttpRequest, quote_id: int) -> HttpResponse:
    """The quote as a PDF (application/pdf)."""
    quote = selectors.quote_get(viewer=_actor(request), quote_id=quote_id)
    response = HttpResponse(quote_pdf(quote), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pdf_filename(quote)}"'
    return response
