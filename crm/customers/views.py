"""Customer and contact screens: lists with filters and export, detail with timeline, forms."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_http_methods, require_POST

from crm.access.visibility import can_change, masks_contact_info
from crm.core import clock
from crm.core.actors import Actor, web_actor
from crm.core.errors import Conflict, DomainError, NotFound, PermissionDenied, apply_to_form
from crm.core.htmx import is_htmx
from crm.core.pagination import InvalidCursor
from crm.core.params import date_param, int_param
from crm.core.phone import display_phone
from crm.customers import selectors, services
from crm.customers.duplicates.check import DuplicatesFound
from crm.customers.duplicates.panel import allow_duplicates_from, form_context
from crm.customers.exporting import export_response
from crm.customers.forms import ContactForm, CustomerForm
from crm.customers.models import Contact, Customer, Grade
from crm.customers.neglect import days_without_follow_up
from crm.customers.presentation import (
    CONTACT_COLUMNS,
    CUSTOMER_COLUMNS,
    columns_chosen,
    row_values,
    shown_email,
    shown_phone,
)
from crm.identity.rights import can_export
from crm.identity.selectors import team_list, user_list
from crm.identity.services import preference_set

PAGE_SIZE = 25


def customer_filters_from(request: HttpRequest) -> selectors.CustomerFilters:
    get = request.GET
    sort = get.get("sort", selectors.DEFAULT_SORT)
    return selectors.CustomerFilters(
        q=get.get("q", "").strip()[:100],
        owner_id=int_param(get.get("owner")),
        team_id=int_param(get.get("team")),
        grade=get.get("grade", "") if get.get("grade") in Grade.values else "",
        tag=get.get("tag", "").strip()[:50],
        industry=get.get("industry", "").strip()[:50],
        province=get.get("province", "").strip()[:30],
        city=get.get("city", "").strip()[:30],
        created_from=date_param(get.get("created_from")),
        created_to=date_param(get.get("created_to")),
        updated_from=date_param(get.get("updated_from")),
        updated_to=date_param(get.get("updated_to")),
        sort=sort if sort in selectors.SORTS else selectors.DEFAULT_SORT,
        neglected=get.get("neglected") == "1",
    )


def contact_filters_from(request: HttpRequest) -> selectors.ContactFilters:
    get = request.GET
    sort = get.get("sort", selectors.DEFAULT_SORT)
    return selectors.ContactFilters(
        q=get.get("q", "").strip()[:100],
        owner_id=int_param(get.get("owner")),
        team_id=int_param(get.get("team")),
        customer_id=int_param(get.get("customer")),
        deal_role=get.get("deal_role", "").strip()[:20],
        created_from=date_param(get.get("created_from")),
        created_to=date_param(get.get("created_to")),
        updated_from=date_param(get.get("updated_from")),
        updated_to=date_param(get.get("updated_to")),
        sort=sort if sort in selectors.SORTS else selectors.DEFAULT_SORT,
    )


def _not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "web/not_found.html", status=404)


# Lists ---------------------------------------------------------------------------------------


def _list_context(request: HttpRequest, actor: Actor, preference_key: str, catalogue: Any) -> dict[str, Any]:
    chosen = columns_chosen(catalogue, request.user.preferences.get(preference_key))  # type: ignore[union-attr]
    return {
        "columns": chosen,
        "all_columns": [(c, c in chosen) for c in catalogue],
        "owners": user_list(include_inactive=False),
        "teams": team_list(),
        "may_export": can_export(actor),
    }


def _neglected_days(customer: Customer, now: dt.datetime) -> int | None:
    """Days without follow-up, for the badge of a flagged customer (None when not flagged)."""
    return days_without_follow_up(customer, now) if customer.neglected_since else None


@login_required
def customer_list_view(request: HttpRequest) -> HttpResponse:
    actor = web_actor(request.user)
    now = clock.now()
    filters = customer_filters_from(request)
    context = _list_context(request, actor, "customer_columns", CUSTOMER_COLUMNS)
    try:
        page = selectors.customer_page(
            viewer=actor,
            filters=filters,
            cursor=request.GET.get("cursor"),
            size=PAGE_SIZE,
            with_tags=any(c.key == "tags" for c in context["columns"]),
        )
    except InvalidCursor:
        return redirect("customers:list")
    context.update(
        {
            "filters": filters,
            "page": page,
            "rows": [(c, row_values(actor, c, context["columns"]), _neglected_days(c, now)) for c in page.items],
            "grades": Grade.choices,
            "tags": selectors.tag_names(),
            "industries": selectors.industry_names(),
            "sorts": [
                ("-created_at", _("Newest first")),
                ("created_at", _("Oldest first")),
                ("-updated_at", _("Recently updated")),
                ("name", _("Name")),
            ],
        }
    )
    if is_htmx(request) and request.GET.get("cursor"):
        return render(request, "customers/customer_list.html#rows", context)
    return render(request, "customers/customer_list.html", context)


@login_required
@require_POST
def columns_view(request: HttpRequest, kind: str) -> HttpResponse:
    """Remember which columns the user wants in a list."""
    catalogue = {"customers": CUSTOMER_COLUMNS, "contacts": CONTACT_COLUMNS}.get(kind)
    if catalogue is None:
        return _not_found(request)
    known = {c.key for c in catalogue}
    keys = [key for key in request.POST.getlist("columns") if key in known]
    preference_set(actor=web_actor(request.user), key=f"{kind[:-1]}_columns", value=keys)
    target = request.POST.get("next", "")
    return redirect(target if target.startswith("/") and not target.startswith("//") else f"{kind}:list")


@login_required
def customer_export_view(request: HttpRequest, file_format: str) -> HttpResponse | StreamingHttpResponse:
    actor = web_actor(request.user)
    if not can_export(actor):
        return render(request, "web/forbidden.html", status=403)
    filters = customer_filters_from(request)
    columns = columns_chosen(CUSTOMER_COLUMNS, request.user.preferences.get("customer_columns"))  # type: ignore[union-attr]
    rows = selectors.customer_export_rows(viewer=actor, filters=filters)
    return export_response(
        actor=actor,
        object_type="customers.customer",
        file_stem="customers",
        file_format=file_format,
        columns=columns,
        records=rows,
        filters=filters.as_params(),
    )


# Customer detail and forms -------------------------------------------------------------------


@login_required
def customer_detail_view(request: HttpRequest, customer_id: int) -> HttpResponse:
    actor = web_actor(request.user)
    try:
        customer = selectors.customer_get(viewer=actor, customer_id=customer_id)
    except NotFound:
        return _not_found(request)
    contacts = selectors.contacts_of_customer(viewer=actor, customer_id=customer.pk)
    context = {
        "customer": customer,
        "neglected_days": _neglected_days(customer, clock.now()),
        "phone": shown_phone(actor, customer, customer.phone),
        "email": shown_email(actor, customer, customer.email),
        "contacts": [(c, shown_phone(actor, c, c.mobile), shown_email(actor, c, c.email)) for c in contacts],
        "may_change": can_change(actor, customer),
    }
    return render(request, "customers/customer_detail.html", context)


def _owner_choices() -> list[tuple[int, str]]:
    return [(u.pk, str(u)) for u in user_list(include_inactive=False)]


def _customer_values(form: CustomerForm) -> dict[str, Any]:
    values = {key: value for key, value in form.cleaned_data.items() if key != "version"}
    values["tags"] = [tag.strip() for tag in values.get("tags", "").replace("，", ",").split(",") if tag.strip()]
    return values


@login_required
@require_http_methods(["GET", "POST"])
def customer_create_view(request: HttpRequest) -> HttpResponse:
    actor = web_actor(request.user)
    initial = {"owner_id": str(request.user.pk), "lifecycle_stage": "prospect", "revenue_currency": "CNY"}
    form = CustomerForm(request.POST or None, owners=_owner_choices(), initial=initial)
    duplicates: DuplicatesFound | None = None
    if request.method == "POST" and form.is_valid():
        try:
            customer = services.customer_create(
                actor=actor, values=_customer_values(form), allow_duplicates=allow_duplicates_from(request)
            )
        except DuplicatesFound as exc:
            duplicates = exc
            form.add_error(None, exc.message)
        except DomainError as exc:
            apply_to_form(exc, form)
        else:
            messages.success(request, _("Customer “%(name)s” has been created.") % {"name": customer.name})
            return redirect("customers:detail", customer_id=customer.pk)
    context = {"form": form, "customer": None, **form_context("customers", error=duplicates, request=request)}
    return render(request, "customers/customer_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def customer_edit_view(request: HttpRequest, customer_id: int) -> HttpResponse:
    actor = web_actor(request.user)
    try:
        customer = selectors.customer_get(viewer=actor, customer_id=customer_id)
    except NotFound:
        return _not_found(request)
    if not can_change(actor, customer):
        return render(request, "web/forbidden.html", status=403)
    masked = masks_contact_info(actor, owner_id=customer.owner_id)
    initial = {field: getattr(customer, field) for field in CustomerForm.base_fields if hasattr(customer, field)}
    initial.update(
        {
            "owner_id": str(customer.owner_id),
            "tags": ", ".join(tag.name for tag in customer.tags.all()),
            "phone": display_phone(customer.phone),
            "version": customer.version,
        }
    )
    form = CustomerForm(request.POST or None, owners=_owner_choices(), masked=masked, initial=initial)
    conflict: list[dict[str, Any]] = []
    duplicates: DuplicatesFound | None = None
    if request.method == "POST" and form.is_valid():
        try:
            services.customer_update(
                actor=actor,
                customer_id=customer.pk,
                version=form.cleaned_data.get("version") or 0,
                values=_customer_values(form),
                allow_duplicates=allow_duplicates_from(request),
            )
        except Conflict as exc:
            conflict = exc.extra.get("changes", [])
            form.add_error(None, exc.message)
        except DuplicatesFound as exc:
            duplicates = exc
            form.add_error(None, exc.message)
        except DomainError as exc:
            apply_to_form(exc, form)
        else:
            messages.success(request, _("Your changes have been saved."))
            return redirect("customers:detail", customer_id=customer.pk)
    context = {
        "form": form,
        "customer": customer,
        "conflict": conflict,
        **form_context("customers", editing_id=customer.pk, error=duplicates, request=request),
    }
    return render(request, "customers/customer_form.html", context)


@login_required
@require_POST
def customer_delete_view(request: HttpRequest, customer_id: int) -> HttpResponse:
    try:
        customer = services.customer_delete(actor=web_actor(request.user), customer_id=customer_id)
    except NotFound:
        return _not_found(request)
    except PermissionDenied as exc:
        messages.error(request, exc.message)
        return redirect("customers:detail", customer_id=customer_id)
    messages.success(request, _("“%(name)s” is in the recycle bin.") % {"name": customer.name})
    return redirect("customers:list")


@login_required
@require_POST
def customer_restore_view(request: HttpRequest, customer_id: int) -> HttpResponse:
    try:
        customer = services.customer_restore(actor=web_actor(request.user), customer_id=customer_id)
    except NotFound:
        return _not_found(request)
    except PermissionDenied as exc:
        messages.error(request, exc.message)
        return redirect("web:trash")
    messages.success(request, _("“%(name)s” has been restored.") % {"name": customer.name})
    return redirect("customers:detail", customer_id=customer.pk)


# Contacts ------------------------------------------------------------------------------------


@login_required
def contact_list_view(request: HttpRequest) -> HttpResponse:
    actor = web_actor(request.user)
    filters = contact_filters_from(request)
    context = _list_context(request, actor, "contact_columns", CONTACT_COLUMNS)
    try:
        page = selectors.contact_page(viewer=actor, filters=filters, cursor=request.GET.get("cursor"), size=PAGE_SIZE)
    except InvalidCursor:
        return redirect("contacts:list")
    context.update(
        {
            "filters": filters,
            "page": page,
            "rows": [(c, row_values(actor, c, context["columns"])) for c in page.items],
            "sorts": [
                ("-created_at", _("Newest first")),
                ("created_at", _("Oldest first")),
                ("-updated_at", _("Recently updated")),
                ("name", pgettext("person", "Name")),
            ],
        }
    )
    if is_htmx(request) and request.GET.get("cursor"):
        return render(request, "customers/contact_list.html#rows", context)
    return render(request, "customers/contact_list.html", context)


@login_required
def contact_export_view(request: HttpRequest, file_format: str) -> HttpResponse | StreamingHttpResponse:
    actor = web_actor(request.user)
    if not can_export(actor):
        return render(request, "web/forbidden.html", status=403)
    filters = contact_filters_from(request)
    columns = columns_chosen(CONTACT_COLUMNS, request.user.preferences.get("contact_columns"))  # type: ignore[union-attr]
    return export_response(
        actor=actor,
        object_type="customers.contact",
        file_stem="contacts",
        file_format=file_format,
        columns=columns,
        records=selectors.contact_export_rows(viewer=actor, filters=filters),
        filters=filters.as_params(),
    )


def _customer_choices(actor: Actor, current: Customer | None) -> list[tuple[int, str]]:
    """A short pick list: the current customer plus the actor's most recent ones."""
    choices = [(c.pk, c.name) for c in selectors.customer_choices(viewer=actor, q="", limit=50)]
    if current is not None and all(pk != current.pk for pk, _name in choices):
        choices.insert(0, (current.pk, current.name))
    return choices


@login_required
def customer_choices_view(request: HttpRequest) -> HttpResponse:
    """`<option>`s of visible customers matching `q`, for the contact form's customer picker."""
    actor = web_actor(request.user)
    query = request.GET.get("customer_search", "").strip()[:100]
    choices = selectors.customer_choices(viewer=actor, q=query, limit=30)
    return render(request, "customers/customer_options.html", {"choices": choices})


@login_required
def contact_detail_view(request: HttpRequest, contact_id: int) -> HttpResponse:
    actor = web_actor(request.user)
    try:
        contact = selectors.contact_get(viewer=actor, contact_id=contact_id)
    except NotFound:
        return _not_found(request)
    context = {
        "contact": contact,
        "mobile": shown_phone(actor, contact, contact.mobile),
        "phone": shown_phone(actor, contact, contact.phone),
        "email": shown_email(actor, contact, contact.email),
        "may_change": can_change(actor, contact),
    }
    return render(request, "customers/contact_detail.html", context)


def _contact_values(form: ContactForm) -> dict[str, Any]:
    return {key: value for key, value in form.cleaned_data.items() if key != "version"}


@login_required
@require_http_methods(["GET", "POST"])
def contact_create_view(request: HttpRequest) -> HttpResponse:
    actor = web_actor(request.user)
    current = None
    customer_id = int_param(request.GET.get("customer") or request.POST.get("customer_id"))
    if customer_id:
        try:
            current = selectors.customer_get(viewer=actor, customer_id=customer_id)
        except NotFound:
            current = None
    form = ContactForm(
        request.POST or None,
        customers=_customer_choices(actor, current),
        initial={"customer_id": str(current.pk) if current else ""},
    )
    duplicates: DuplicatesFound | None = None
    if request.method == "POST" and form.is_valid():
        try:
            contact = services.contact_create(
                actor=actor, values=_contact_values(form), allow_duplicates=allow_duplicates_from(request)
            )
        except DuplicatesFound as exc:
            duplicates = exc
            form.add_error(None, exc.message)
        except DomainError as exc:
            apply_to_form(exc, form)
        else:
            messages.success(request, _("Contact “%(name)s” has been created.") % {"name": contact.name})
            if contact.customer_id:
                return redirect("customers:detail", customer_id=contact.customer_id)
            return redirect("contacts:detail", contact_id=contact.pk)
    context = {
        "form": form,
        "contact": None,
        "customer": current,
        **form_context("contacts", error=duplicates, request=request),
    }
    return render(request, "customers/contact_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def contact_edit_view(request: HttpRequest, contact_id: int) -> HttpResponse:
    actor = web_actor(request.user)
    try:
        contact = selectors.contact_get(viewer=actor, contact_id=contact_id)
    except NotFound:
        return _not_found(request)
    if not can_change(actor, contact):
        return render(request, "web/forbidden.html", status=403)
    masked = masks_contact_info(actor, owner_id=contact.owner_id)
    initial = {field: getattr(contact, field) for field in ContactForm.base_fields if hasattr(contact, field)}
    initial.update(
        {
            "customer_id": str(contact.customer_id or ""),
            "mobile": display_phone(contact.mobile),
            "phone": display_phone(contact.phone),
            "version": contact.version,
        }
    )
    form = ContactForm(
        request.POST or None, customers=_customer_choices(actor, contact.customer), masked=masked, initial=initial
    )
    conflict: list[dict[str, Any]] = []
    duplicates: DuplicatesFound | None = None
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_update(
                actor=actor,
                contact_id=contact.pk,
                version=form.cleaned_data.get("version") or 0,
                values=_contact_values(form),
                allow_duplicates=allow_duplicates_from(request),
            )
        except Conflict as exc:
            conflict = exc.extra.get("changes", [])
            form.add_error(None, exc.message)
        except DuplicatesFound as exc:
            duplicates = exc
            form.add_error(None, exc.message)
        except DomainError as exc:
            apply_to_form(exc, form)
        else:
            messages.success(request, _("Your changes have been saved."))
            return redirect("contacts:detail", contact_id=contact.pk)
    context = {
        "form": form,
        "contact": contact,
        "conflict": conflict,
        **form_context("contacts", editing_id=contact.pk, error=duplicates, request=request),
    }
    return render(request, "customers/contact_form.html", context)


@login_required
@require_POST
def contact_delete_view(request: HttpRequest, contact_id: int) -> HttpResponse:
    try:
        contact: Contact = services.contact_delete(actor=web_actor(request.user), contact_id=contact_id)
    except NotFound:
        return _not_found(request)
    except PermissionDenied as exc:
        messages.error(request, exc.message)
        return redirect("contacts:detail", contact_id=contact_id)
    messages.success(request, _("“%(name)s” is in the recycle bin.") % {"name": contact.name})
    return redirect("contacts:list")


@login_required
@require_POST
def contact_restore_view(request: HttpRequest, contact_id: int) -> HttpResponse:
    try:
        contact = services.contact_restore(actor=web_actor(request.user), contact_id=contact_id)
    except NotFound:
        return _not_found(request)
    except PermissionDenied as exc:
        messages.error(request, exc.message)
        return redirect("web:trash")
    messages.success(request, _("“%(name)s” has been restored.") % {"name": contact.name})
    return redirect("contacts:detail", contact_id=contact.pk)
