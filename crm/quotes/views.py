"""Quote screens: the deal's quotes panel, the quote editor and detail, and the product catalogue."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm.core.actors import Actor, web_actor
from crm.core.errors import DomainError, NotFound, apply_to_form
from crm.core.htmx import is_htmx
from crm.core.pagination import InvalidCursor
from crm.core.params import int_param
from crm.identity.rights import can_manage_org, user_of
from crm.quotes import approval, selectors, sending, services
from crm.quotes.forms import PriceListForm, ProductForm
from crm.quotes.models import EDITABLE_STATUSES, Quote, QuoteStatus
from crm.quotes.pdf import pdf_filename, quote_pdf

PAGE_SIZE = 25
LINE_FIELDS = ("product_id", "description", "unit", "quantity", "unit_price", "discount_percent", "tax_rate")
QUOTE_FIELDS = ("price_list_id", "currency", "valid_until", "discount_percent", "notes", "terms")


def _not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "web/not_found.html", status=404)


def _forbidden(request: HttpRequest) -> HttpResponse:
    return render(request, "web/forbidden.html", status=403)


# Catalogue -------------------------------------------------------------------------------------


@login_required
@require_GET
def product_list_view(request: HttpRequest) -> HttpResponse:
    """Everybody reads the catalogue; only administrators change it."""
    actor = web_actor(request.user)
    status = request.GET.get("status", "active")
    active = {"active": True, "inactive": False}.get(status)
    filters = selectors.ProductFilters(q=request.GET.get("q", "").strip()[:100], active=active)
    try:
        page = selectors.product_page(filters=filters, cursor=request.GET.get("cursor"), size=PAGE_SIZE)
    except InvalidCursor:
        return redirect("quotes:products")
    context = {"page": page, "filters": filters, "status": status, "may_manage": can_manage_org(actor)}
    if is_htmx(request) and request.GET.get("cursor"):
        return render(request, "quotes/product_list.html#rows", context)
    return render(request, "quotes/product_list.html", context)


def _product_values(form: ProductForm) -> dict[str, Any]:
    return {name: value for name, value in form.cleaned_data.items() if name != "version"}


@login_required
@require_http_methods(["GET", "POST"])
def product_create_view(request: HttpRequest) -> HttpResponse:
    actor = web_actor(request.user)
    if not can_manage_org(actor):
        return _forbidden(request)
    form = ProductForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            product = services.product_create(actor=actor, values=_product_values(form))
        except DomainError as exc:
            apply_to_form(exc, form)
        else:
            messages.success(request, _("Product “%(name)s” has been added.") % {"name": product.name})
            return redirect("quotes:products")
    return render(request, "quotes/product_form.html", {"form": form, "product": None})


@login_required
@require_http_methods(["GET", "POST"])
def product_edit_view(request: HttpRequest, product_id: int) -> HttpResponse:
    actor = web_actor(request.user)
    if not can_manage_org(actor):
        return _forbidden(request)
    try:
        product = selectors.product_get(product_id=product_id)
    except NotFound:
        return _not_found(request)
    initial = {name: getattr(product, name) for name in ProductForm.base_fields}
    form = ProductForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.product_update(
                actor=actor,
                product_id=product.pk,
                version=form.cleaned_data.get("version") or 0,
                values=_product_values(form),
            )
        except DomainError as exc:
            apply_to_form(exc, form)
        else:
            messages.success(request, _("Product “%(name)s” has been saved.") % {"name": form.cleaned_data["name"]})
            return redirect("quotes:products")
    return render(request, "quotes/product_form.html", {"form": form, "product": product})


@login_required
@require_http_methods(["GET", "POST"])
def price_list_list_view(request: HttpRequest) -> HttpResponse:
    actor = web_actor(request.user)
    if not can_manage_org(actor):
        return _forbidden(request)
    form = PriceListForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            price_list = services.price_list_create(
                actor=actor, values={k: v for k, v in form.cleaned_data.items() if k != "version"}
            )
        except DomainError as exc:
            apply_to_form(exc, form)
        else:
            return redirect("quotes:price_list", price_list_id=price_list.pk)
    return render(request, "quotes/price_lists.html", {"price_lists": selectors.price_list_list(), "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def price_list_detail_view(request: HttpRequest, price_list_id: int) -> HttpResponse:
    actor = web_actor(request.user)
    if not can_manage_org(actor):
        return _forbidden(request)
    try:
        price_list = selectors.price_list_get(price_list_id=price_list_id)
    except NotFound:
        return _not_found(request)
    initial = {"name": price_list.name, "currency": price_list.currency, "is_active": price_list.is_active}
    form = PriceListForm(None, initial={**initial, "version": price_list.version})
    if request.method == "POST":
        try:
            if "product_id" in request.POST:
                services.price_list_price_set(
                    actor=actor,
                    price_list_id=price_list.pk,
                    product_id=int_param(request.POST.get("product_id")) or 0,
                    unit_price=request.POST.get("unit_price", ""),
                )
                messages.success(request, _("The price has been saved."))
                return redirect("quotes:price_list", price_list_id=price_list.pk)
            form = PriceListForm(request.POST)
            if form.is_valid():
                services.price_list_update(
                    actor=actor,
                    price_list_id=price_list.pk,
                    version=form.cleaned_data.get("version") or 0,
                    values={k: v for k, v in form.cleaned_data.items() if k != "version"},
                )
                messages.success(request, _("The price list has been saved."))
                return redirect("quotes:price_list", price_list_id=price_list.pk)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("quotes:price_list", price_list_id=price_list.pk)
    context = {
        "price_list": price_list,
        "form": form,
        "items": selectors.price_list_items(price_list=price_list),
        "products": selectors.product_choices(),
    }
    return render(request, "quotes/price_list_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def discount_limits_view(request: HttpRequest) -> HttpResponse:
    actor = web_actor(request.user)
    if not can_manage_org(actor):
        return _forbidden(request)
    if request.method == "POST":
        try:
            services.discount_limit_set(
                actor=actor,
                role_id=int_param(request.POST.get("role_id")) or 0,
                max_line_discount=request.POST.get("max_line_discount", ""),
                max_quote_discount=request.POST.get("max_quote_discount", ""),
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The discount limit has been saved."))
        return redirect("quotes:discount_limits")
    return render(request, "quotes/discount_limits.html", {"rows": selectors.discount_limit_rows()})


# The deal's quotes panel -----------------------------------------------------------------------


@login_required
@require_GET
def deal_panel_view(request: HttpRequest, deal_id: int) -> HttpResponse:
    """The quotes of a deal, loaded into the deal page by htmx."""
    actor = web_actor(request.user)
    try:
        deal = selectors.quote_deal(viewer=actor, deal_id=deal_id)
        quotes = selectors.quotes_of_deal(viewer=actor, deal_id=deal_id)
    except NotFound:
        return _not_found(request)
    may_change = selectors.deal_may_quote(actor, deal)
    return render(request, "quotes/deal_panel.html", {"deal": deal, "quotes": quotes, "may_change": may_change})


@login_required
@require_POST
def quote_create_view(request: HttpRequest, deal_id: int) -> HttpResponse:
    actor = web_actor(request.user)
    try:
        quote = services.quote_create(actor=actor, deal_id=deal_id)
    except NotFound:
        return _not_found(request)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("deals:detail", deal_id=deal_id)
    messages.success(request, _("Quote %(quote)s has been created.") % {"quote": quote.label})
    return redirect("quotes:detail", quote_id=quote.pk)


# The quote page --------------------------------------------------------------------------------


def _quote_context(actor: Actor, quote: Quote, *, error: str = "") -> dict[str, Any]:
    may_change = selectors.quote_may_change(actor, quote)
    user = user_of(actor)
    lines = selectors.quote_lines(quote=quote)
    discounts = [line.discount_percent for line in lines]
    live = not quote.is_superseded
    over_limit = approval.needs_approval(quote, user, discounts)
    return {
        "quote": quote,
        "deal": quote.deal,
        "lines": lines,
        "revisions": selectors.quote_revisions(quote=quote),
        "may_edit": may_change and quote.is_editable,
        "may_revise": may_change,
        "over_limit": over_limit,
        "may_request_approval": may_change
        and live
        and quote.status in (QuoteStatus.DRAFT, QuoteStatus.REJECTED)
        and bool(lines)
        and over_limit,
        # Decisions happen in the approval engine's panel (and queue), loaded into the page by htmx.
        "approval_panel_url": (
            reverse("approvals:panel", args=[selectors.APPROVAL_KIND, quote.pk])
            if over_limit or quote.approval_requested_by_id is not None
            else ""
        ),
        "may_send": may_change
        and live
        and bool(lines)
        and (quote.status == QuoteStatus.APPROVED or (quote.status == QuoteStatus.DRAFT and not over_limit)),
        "may_record_outcome": may_change and quote.status == QuoteStatus.SENT,
        "recipients": sending.recipients_of(viewer=actor, quote=quote) if may_change else [],
        "products": selectors.product_choices() if may_change and quote.is_editable else [],
        "price_lists": selectors.price_list_list(include_inactive=False),
        "editable_statuses": EDITABLE_STATUSES,
        "error": error,
    }


def _load(request: HttpRequest, quote_id: int) -> tuple[Actor, Quote | None]:
    actor = web_actor(request.user)
    try:
        return actor, selectors.quote_get(viewer=actor, quote_id=quote_id)
    except NotFound:
        return actor, None


@login_required
@require_GET
def quote_detail_view(request: HttpRequest, quote_id: int) -> HttpResponse:
    actor, quote = _load(request, quote_id)
    if quote is None:
        return _not_found(request)
    if is_htmx(request):
        # The page refreshes its body this way when an approval decision changes the quote's status.
        return render(request, "quotes/quote_detail.html#body", _quote_context(actor, quote))
    return render(request, "quotes/quote_detail.html", _quote_context(actor, quote))


def _after_write(request: HttpRequest, actor: Actor, quote_id: int, error: DomainError | None) -> HttpResponse:
    """htmx gets the re-rendered editor (with the refusal on top); a plain form post is redirected."""
    if is_htmx(request):
        try:
            quote = selectors.quote_get(viewer=actor, quote_id=quote_id)
        except NotFound:
            return _not_found(request)
        context = _quote_context(actor, quote, error=error.message if error else "")
        return render(request, "quotes/quote_detail.html#body", context)
    if error is not None:
        messages.error(request, error.message)
    return redirect("quotes:detail", quote_id=quote_id)


def _version(request: HttpRequest) -> int:
    return int_param(request.POST.get("version")) or 0


def _posted(request: HttpRequest, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: request.POST[name] for name in names if name in request.POST}


def _edit(request: HttpRequest, quote_id: int, write: Callable[[Actor, int], object]) -> HttpResponse:
    """Run one editor write (`write(actor, version)`) and answer as `_after_write` does."""
    actor = web_actor(request.user)
    try:
        write(actor, _version(request))
    except NotFound:
        return _not_found(request)
    except DomainError as exc:
        return _after_write(request, actor, quote_id, exc)
    return _after_write(request, actor, quote_id, None)


@login_required
@require_POST
def quote_update_view(request: HttpRequest, quote_id: int) -> HttpResponse:
    values = _posted(request, QUOTE_FIELDS)
    return _edit(
        request,
        quote_id,
        lambda actor, version: services.quote_update(actor=actor, quote_id=quote_id, version=version, values=values),
    )


@login_required
@require_POST
def quote_line_add_view(request: HttpRequest, quote_id: int) -> HttpResponse:
    values = _posted(request, LINE_FIELDS)
    return _edit(
        request,
        quote_id,
        lambda actor, version: services.quote_line_add(actor=actor, quote_id=quote_id, version=version, values=values),
    )


@login_required
@require_POST
def quote_line_update_view(request: HttpRequest, quote_id: int, line_id: int) -> HttpResponse:
    values = _posted(request, LINE_FIELDS[1:])
    return _edit(
        request,
        quote_id,
        lambda actor, version: services.quote_line_update(
            actor=actor, quote_id=quote_id, line_id=line_id, version=version, values=values
        ),
    )


@login_required
@require_POST
def quote_line_remove_view(request: HttpRequest, quote_id: int, line_id: int) -> HttpResponse:
    return _edit(
        request,
        quote_id,
        lambda actor, version: services.quote_line_remove(
            actor=actor, quote_id=quote_id, line_id=line_id, version=version
        ),
    )


@login_required
@require_POST
def quote_revise_view(request: HttpRequest, quote_id: int) -> HttpResponse:
    actor = web_actor(request.user)
    try:
        revision = services.quote_new_revision(actor=actor, quote_id=quote_id)
    except NotFound:
        return _not_found(request)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("quotes:detail", quote_id=quote_id)
    messages.success(request, _("Revision %(quote)s has been created.") % {"quote": revision.label})
    return redirect("quotes:detail", quote_id=revision.pk)


@login_required
@require_POST
def quote_request_approval_view(request: HttpRequest, quote_id: int) -> HttpResponse:
    actor = web_actor(request.user)
    try:
        quote = approval.quote_request_approval(actor=actor, quote_id=quote_id, version=_version(request))
    except NotFound:
        return _not_found(request)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if quote.status == QuoteStatus.APPROVED:
            messages.success(request, _("No approval step applies to these discounts: the quote may be sent."))
        else:
            messages.success(request, _("The quote has been submitted for approval."))
    return redirect("quotes:detail", quote_id=quote_id)


@login_required
@require_POST
def quote_send_view(request: HttpRequest, quote_id: int) -> HttpResponse:
    actor = web_actor(request.user)
    try:
        quote = sending.quote_send(
            actor=actor,
            quote_id=quote_id,
            version=_version(request),
            contact_id=int_param(request.POST.get("contact_id")),
            message=request.POST.get("message", "")[:5000],
        )
    except NotFound:
        return _not_found(request)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Quote %(quote)s has been sent to %(email)s.")
            % {
                "quote": quote.label,
                "email": quote.sent_to,
            },
        )
    return redirect("quotes:detail", quote_id=quote_id)


@login_required
@require_POST
def quote_outcome_view(request: HttpRequest, quote_id: int, outcome: str) -> HttpResponse:
    actor = web_actor(request.user)
    if outcome not in ("accepted", "declined"):
        return _not_found(request)
    try:
        services.quote_record_outcome(
            actor=actor, quote_id=quote_id, version=_version(request), accepted=outcome == "accepted"
        )
    except NotFound:
        return _not_found(request)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("quotes:detail", quote_id=quote_id)


@login_required
@require_GET
def quote_pdf_view(request: HttpRequest, quote_id: int) -> HttpResponse:
    _actor, quote = _load(request, quote_id)
    if quote is None:
        return _not_found(request)
    response = HttpResponse(quote_pdf(quote), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pdf_filename(quote)}"'
    return response
