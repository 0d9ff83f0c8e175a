"""Every read of products, price lists, discount limits and quotes; a quote is visible exactly when its deal is."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from crm.approvals.selectors import may_view_target
from crm.core.actors import Actor
from crm.core.errors import NotFound
from crm.core.pagination import Page, SortKey, paginate
from crm.deals.models import Deal
from crm.deals.selectors import deal_get, deal_may_change, deal_may_see
from crm.identity.models import Role
from crm.identity.rights import user_of
from crm.quotes.models import DiscountLimit, PriceList, PriceListItem, Product, Quote, QuoteLine, QuoteStatus

PRODUCT_SORT = SortKey("sku", descending=False)
QUOTES_PER_DEAL = 50
SENT_STATUSES = (QuoteStatus.SENT, QuoteStatus.ACCEPTED, QuoteStatus.DECLINED)
# The record type under which quotes go through the approval engine.
APPROVAL_KIND = "quote"


# Products and prices ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ProductFilters:
    q: str = ""
    active: bool | None = None


def product_list(*, filters: ProductFilters) -> QuerySet[Product]:
    """The catalogue is shared by everybody: no visibility rule, only filters."""
    products = Product.objects.all()
    if filters.active is not None:
        products = products.filter(is_active=filters.active)
    if filters.q:
        products = products.filter(Q(sku__icontains=filters.q) | Q(name__icontains=filters.q))
    return products


def product_page(*, filters: ProductFilters, cursor: str | None, size: int) -> Page[Product]:
    return paginate(product_list(filters=filters), sort=PRODUCT_SORT, cursor=cursor, size=size)


def product_get(*, product_id: int) -> Product:
    product = Product.objects.filter(pk=product_id).first()
    if product is None:
        raise NotFound(_("This record does not exist or you may not see it."))
    return product


def product_choices() -> list[Product]:
    return list(Product.objects.filter(is_active=True).order_by("sku", "id")[:500])


def price_list_list(*, include_inactive: bool = True) -> list[PriceList]:
    lists = PriceList.objects.all()
    if not include_inactive:
        lists = lists.filter(is_active=True)
    return list(lists.order_by("name", "id"))


def price_list_get(*, price_list_id: int) -> PriceList:
    price_list = PriceList.objects.filter(pk=price_list_id).first()
    if price_list is None:
        raise NotFound(_("This record does not exist or you may not see it."))
    return price_list


def price_list_items(*, price_list: PriceList) -> list[PriceListItem]:
    return list(price_list.items.select_related("product").order_by("product__sku", "id"))


def price_of(*, product: Product, price_list_id: int | None) -> Decimal:
    """The product's price in the price list, or its list price when the list does not name it."""
    if price_list_id:
        override = (
            PriceListItem.objects.filter(price_list_id=price_list_id, product=product)
            .values_list("unit_price", flat=True)
            .first()
        )
        if override is not None:
            return override
    return product.list_price


# Discount limits -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limit:
    line: Decimal
    overall: Decimal


NO_DISCOUNT = Limit(line=Decimal(0), overall=Decimal(0))


def discount_limit_rows() -> list[tuple[Role, Limit]]:
    """Every role with its limits; a role nobody configured may give no discount unapproved."""
    limits = {row.role_id: row for row in DiscountLimit.objects.all()}
    rows = []
    for role in Role.objects.order_by("id"):
        row = limits.get(role.pk)
        rows.append((role, Limit(line=row.max_line_discount, overall=row.max_quote_discount) if row else NO_DISCOUNT))
    return rows


def limit_of(role_id: int | None) -> Limit:
    if role_id is None:
        return NO_DISCOUNT
    row = DiscountLimit.objects.filter(role_id=role_id).first()
    return Limit(line=row.max_line_discount, overall=row.max_quote_discount) if row else NO_DISCOUNT


# Quotes ----------------------------------------------------------------------------------------


def quote_deal(*, viewer: Actor, deal_id: int) -> Deal:
    """The deal a quote belongs to, through the deals visibility rule (owner/team plus collaborators)."""
    return deal_get(viewer=viewer, deal_id=deal_id)


def _is_approver(viewer: Actor, quote_id: int) -> bool:
    # The people asked to approve a quote's discounts must read it even where the deal is hidden from them.
    user = user_of(viewer)
    return user is not None and may_view_target(user, APPROVAL_KIND, quote_id)


def quote_get(*, viewer: Actor, quote_id: int, for_update: bool = False) -> Quote:
    """One quote whose deal `viewer` may see (or whose approval they take part in), or NotFound."""
    quotes = Quote.objects.select_related("price_list", "created_by", "approval_requested_by", "approval_decided_by")
    if for_update:
        quotes = quotes.select_for_update(of=("self",))
    quote = quotes.filter(pk=quote_id).first()
    if quote is None:
        raise NotFound(_("This record does not exist or you may not see it."))
    try:
        quote.deal = deal_get(viewer=viewer, deal_id=quote.deal_id)
    except NotFound:
        # deal_get raises the same NotFound for a hidden deal: no existence leak.
        deal = Deal.objects.select_related("owner", "team", "customer", "stage").filter(pk=quote.deal_id).first()
        if deal is None or not _is_approver(viewer, quote.pk):
            raise
        quote.deal = deal
    return quote


def quote_may_see(viewer: Actor, quote: Quote) -> bool:
    """The visibility rule of one quote: that of its deal (owner/team and the deal's collaborators)."""
    return deal_may_see(viewer, quote.deal)


def deal_may_quote(actor: Actor, deal: Deal) -> bool:
    """Opening or changing a deal's quotes needs the right to change the deal."""
    return deal_may_change(actor, deal)


def quote_may_change(actor: Actor, quote: Quote) -> bool:
    return deal_may_quote(actor, quote.deal)


def quotes_of_deal(*, viewer: Actor, deal_id: int) -> list[Quote]:
    """Every revision of every quote of a visible deal, newest offer first, revisions newest first."""
    deal = deal_get(viewer=viewer, deal_id=deal_id)
    quotes = Quote.objects.filter(deal_id=deal.pk).order_by("-created_at", "-id")[:QUOTES_PER_DEAL]
    return sorted(quotes, key=lambda quote: (quote.number, quote.revision), reverse=True)


def quote_revisions(*, quote: Quote) -> list[Quote]:
    return list(Quote.objects.filter(number=quote.number).order_by("-revision"))


def quote_lines(*, quote: Quote) -> list[QuoteLine]:
    return list(quote.lines.select_related("product").order_by("position", "id"))


def quote_sent_since(deal_id: int, since: dt.datetime | None) -> bool:
    """Whether a quote of the deal went to the customer (at or after `since`, when given)."""
    quotes = Quote.objects.filter(deal_id=deal_id, sent_at__isnull=False)
    if since is not None:
        quotes = quotes.filter(sent_at__gte=since)
    return quotes.exists()


def deal_has_sent_quote(deal: Deal) -> bool:
    """The deals SOP evidence "a quote sent to the customer": any revision of any quote, ever sent."""
    return quote_sent_since(deal.pk, None)
