"""Lead screens: list with filters and export, detail with status and conversion, forms."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_http_methods, require_POST

from crm.access.visibility import can_change, masks_contact_info
from crm.core.actors import web_actor
from crm.core.errors import Conflict, DomainError, NotFound, PermissionDenied, apply_to_form
from crm.core.htmx import is_htmx
from crm.core.pagination import InvalidCursor
from crm.core.params import date_param, int_param
from crm.core.phone import display_phone
from crm.customers.duplicates.check import DuplicatesFound
from crm.customers.duplicates.panel import allow_duplicates_from, form_context
from crm.customers.exporting import export_response
from crm.customers.presentation import Column, columns_chosen, row_values
from crm.customers.selectors import DEFAULT_SORT, customer_get
from crm.identity.rights import can_export, can_manage_org
from crm.identity.selectors import team_list, user_list
from crm.identity.services import preference_set
from crm.leads import selectors, services
from crm.leads.forms import FollowUpForm, LeadForm, StatusForm
from crm.leads.models import Channel, LeadStatus
from crm.leads.presentation import LEAD_COLUMNS, shown_email, shown_phone
from crm.leads.webforms import campaign_names

PAGE_SIZE = 25
COLUMNS_PREFERENCE = "lead_columns"


def lead_filters_from(request: HttpRequest) -> selectors.LeadFilters:
    get = request.GET
    sort = get.get("sort", DEFAULT_SORT)
    return selectors.LeadFilters(
        q=get.get("q", "").strip()[:100],
        owner_id=int_param(get.get("owner")),
        team_id=int_param(get.get("team")),
        status=get.get("status", "") if get.get("status") in LeadStatus.values else "",
        channel=get.get("channel", "") if get.get("channel") in Channel.values else "",
        campaign=get.get("campaign", "").strip()[:100],
        created_from=date_param(get.get("created_from")),
        created_to=date_param(get.get("created_to")),
        updated_from=date_param(get.get("updated_from")),
        updated_to=date_param(get.get("updated_to")),
        sort=sort if sort in selectors.SORTS else DEFAULT_SORT,
    )


def _not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "web/not_found.html", status=404)


def _chosen_columns(request: HttpRequest) -> list[Column]:
    return columns_chosen(LEAD_COLUMNS, request.user.preferences.get(COLUMNS_PREFERENCE))  # type: ignore[union-attr]


@login_required
@require_POST
def lead_columns_view(request: HttpRequest) -> HttpResponse:
    """Remember which columns the user wants in the lead list (and its export)."""
    known = {c.key for c in LEAD_COLUMNS}
    keys = [key for key in request.POST.getlist("columns") if key in known]
    preference_set(actor=web_actor(request.user), key=COLUMNS_PREFERENCE, value=keys)
    target = request.POST.get("next", "")
    return redirect(target if target.startswith("/leads/") and not target.startswith("//") else "leads:list")


@login_required
def lead_list_view(request: HttpRequest) -> HttpResponse:
    actor = web_actor(request.user)
    filters = lead_filters_from(request)
    columns = _chosen_columns(request)
    try:
        page = selectors.lead_page(viewer=actor, filters=filters, cursor=request.GET.get("cursor"), size=PAGE_SIZE)
    except InvalidCursor:
        return redirect("leads:list")
    context = {
        "columns": columns,
        "all_columns": [(c, c in columns) for c in LEAD_COLUMNS],
        "campaigns": campaign_names(),
        "filters": filters,
        "page": page,
        "rows": [(lead, row_values(actor, lead, columns)) for lead in page.items],
        "owners": user_list(include_inactive=False),
        "teams": team_list(),
        "statuses": LeadStatus.choices,
        "channels": Channel.choices,
        "may_export": can_export(actor),
        "may_manage_campaigns": can_manage_org(actor),
        "sorts": [
            ("-created_at", _("Newest first")),
            ("created_at", _("Oldest first")),
            ("-updated_at", _("Recently updated")),
            ("name", pgettext("person", "Name")),
            ("-score", _("Highest score")),
        ],
    }
    if is_htmx(request) and request.GET.get("cursor"):
        return render(request, "leads/lead_list.html#rows", context)
    return render(request, "leads/lead_list.html", context)


@login_required
def lead_export_view(request: HttpRequest, file_format: str) -> HttpResponse | StreamingHttpResponse:
    actor = web_actor(request.user)
    if not can_export(actor):
        return render(request, "web/forbidden.html", status=403)
    filters = lead_filters_from(request)
    return export_response(
        actor=actor,
        object_type="leads.lead",
        file_stem="leads",
        file_format=file_format,
        columns=_chosen_columns(request),
        records=selectors.lead_export_rows(viewer=actor, filters=filters),
        filters=filters.as_params(),
    )


def _detail_context(
    request: HttpRequest,
    lead_id: int,
    status_form: StatusForm | None = None,
    follow_up_form: FollowUpForm | None = None,
) -> dict[str, Any]:
    actor = web_actor(request.user)
    lead = selectors.lead_get(viewer=actor, lead_id=lead_id)
    if status_form is None:
        status_form = StatusForm(
            initial={"status": lead.status, "unqualified_reason": lead.unqualified_reason, "version": lead.version}
        )
    may_change = can_change(actor, lead)
    return {
        "lead": lead,
        "conversion": (
            selectors.conversion_choices(viewer=actor, lead=lead) if may_change and not lead.is_converted else None
        ),
        "mobile": shown_phone(actor, lead, lead.mobile),
        "phone": shown_phone(actor, lead, lead.phone),
        "email": shown_email(actor, lead, lead.email),
        "may_change": may_change,
        "status_form": status_form,
        "timeline": selectors.lead_timeline(viewer=actor, lead=lead),
        # Anyone who sees an open lead may log a follow-up on it; a converted lead's go on its customer.
        "follow_up_form": None if lead.is_converted else (follow_up_form or FollowUpForm()),
    }


@login_required
def lead_detail_view(request: HttpRequest, lead_id: int) -> HttpResponse:
    try:
        context = _detail_context(request, lead_id)
    except NotFound:
        return _not_found(request)
    return render(request, "leads/lead_detail.html", context)


def _owner_choices() -> list[tuple[int, str]]:
    return [(u.pk, str(u)) for u in user_list(include_inactive=False)]


def _lead_values(form: LeadForm) -> dict[str, Any]:
    return {key: value for key, value in form.cleaned_data.items() if key != "version"}


@login_required
@require_http_methods(["GET", "POST"])
def lead_create_view(request: HttpRequest) -> HttpResponse:
    actor = web_actor(request.user)
    initial = {"owner_id": str(request.user.pk), "channel": Channel.MANUAL}
    form = LeadForm(request.POST or None, owners=_owner_choices(), initial=initial)
    duplicates: DuplicatesFound | None = None
    if request.method == "POST" and form.is_valid():
        try:
            lead = services.lead_create(
                actor=actor, values=_lead_values(form), allow_duplicates=allow_duplicates_from(request)
            )
        except DuplicatesFound as exc:
            duplicates = exc
            form.add_error(None, exc.message)
        except DomainError as exc:
            apply_to_form(exc, form)
        else:
            messages.success(request, _("Lead “%(name)s” has been created.") % {"name": lead.name})
            return redirect("leads:detail", lead_id=lead.pk)
    context = {"form": form, "lead": None, **form_context("leads", error=duplicates, request=request)}
    return render(request, "leads/lead_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def lead_edit_view(request: HttpRequest, lead_id: int) -> HttpResponse:
    actor = web_actor(request.user)
    try:
        lead = selectors.lead_get(viewer=actor, lead_id=lead_id)
    except NotFound:
        return _not_found(request)
    if not can_change(actor, lead):
        return render(request, "web/forbidden.html", status=403)
    masked = masks_contact_info(actor, owner_id=lead.owner_id)
    initial = {field: getattr(lead, field) for field in LeadForm.base_fields if hasattr(lead, field)}
    initial.update(
        {
            "owner_id": str(lead.owner_id),
            "mobile": display_phone(lead.mobile),
            "phone": display_phone(lead.phone),
            "version": lead.version,
        }
    )
    form = LeadForm(request.POST or None, owners=_owner_choices(), masked=masked, initial=initial)
    conflict: list[dict[str, Any]] = []
    duplicates: DuplicatesFound | None = None
    if request.method == "POST" and form.is_valid():
        try:
            services.lead_update(
                actor=actor,
                lead_id=lead.pk,
                version=form.cleaned_data.get("version") or 0,
                values=_lead_values(form),
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
            return redirect("leads:detail", lead_id=lead.pk)
    context = {
        "form": form,
        "lead": lead,
        "conflict": conflict,
        **form_context("leads", editing_id=lead.pk, error=duplicates, request=request),
    }
    return render(request, "leads/lead_form.html", context)


@login_required
@require_POST
def lead_status_view(request: HttpRequest, lead_id: int) -> HttpResponse:
    actor = web_actor(request.user)
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            services.lead_set_status(
                actor=actor,
                lead_id=lead_id,
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["unqualified_reason"],
                version=form.cleaned_data.get("version"),
            )
        except NotFound:
            return _not_found(request)
        except DomainError as exc:
            apply_to_form(exc, form)
        else:
            messages.success(request, _("The status has been changed."))
            return redirect("leads:detail", lead_id=lead_id)
    try:
        context = _detail_context(request, lead_id, status_form=form)
    except NotFound:
        return _not_found(request)
    return render(request, "leads/lead_detail.html", context, status=422)


@login_required
@require_POST
def lead_follow_up_view(request: HttpRequest, lead_id: int) -> HttpResponse:
    """Log a follow-up from the lead's page; errors show beside the fields."""
    form = FollowUpForm(request.POST)
    if form.is_valid():
        try:
            services.lead_follow_up_create(actor=web_actor(request.user), lead_id=lead_id, values=form.cleaned_data)
        except NotFound:
            return _not_found(request)
        except DomainError as exc:
            apply_to_form(exc, form)
        else:
            messages.success(request, _("The follow-up has been logged."))
            return redirect("leads:detail", lead_id=lead_id)
    try:
        context = _detail_context(request, lead_id, follow_up_form=form)
    except NotFound:
        return _not_found(request)
    return render(request, "leads/lead_detail.html", context, status=422)


@login_required
@require_POST
def lead_convert_view(request: HttpRequest, lead_id: int) -> HttpResponse:
    actor = web_actor(request.user)
    try:
        lead = services.lead_convert(
            actor=actor,
            lead_id=lead_id,
            customer_id=int_param(request.POST.get("customer_id")),
            contact_id=int_param(request.POST.get("contact_id")),
            deal=(
                {"name": request.POST.get("deal_name", ""), "amount": request.POST.get("deal_amount") or 0}
                if request.POST.get("open_deal") == "on"
                else None
            ),
        )
    except NotFound:
        return _not_found(request)
    except DomainError as exc:
        messages.error(request, exc.errors[0].message if exc.errors else exc.message)
        return redirect("leads:detail", lead_id=lead_id)
    messages.success(request, _("“%(name)s” has been converted into a customer and a contact.") % {"name": lead.name})
    if lead.converted_customer_id:
        return redirect("customers:detail", customer_id=lead.converted_customer_id)
    return redirect("leads:detail", lead_id=lead.pk)


@login_required
@require_POST
def lead_delete_view(request: HttpRequest, lead_id: int) -> HttpResponse:
    try:
        lead = services.lead_delete(actor=web_actor(request.user), lead_id=lead_id)
    except NotFound:
        return _not_found(request)
    except PermissionDenied as exc:
        messages.error(request, exc.message)
        return redirect("leads:detail", lead_id=lead_id)
    messages.success(request, _("“%(name)s” is in the recycle bin.") % {"name": lead.name})
    return redirect("leads:list")


@login_required
@require_POST
def lead_restore_view(request: HttpRequest, lead_id: int) -> HttpResponse:
    try:
        lead = services.lead_restore(actor=web_actor(request.user), lead_id=lead_id)
    except NotFound:
        return _not_found(request)
    except PermissionDenied as exc:
        messages.error(request, exc.message)
        return redirect("web:trash")
    messages.success(request, _("“%(name)s” has been restored.") % {"name": lead.name})
    return redirect("leads:detail", lead_id=lead.pk)


@login_required
def customer_source_leads_view(request: HttpRequest, customer_id: int) -> HttpResponse:
    """The panel on a customer's page: the leads it came from, with their source and status history."""
    actor = web_actor(request.user)
    try:
        customer_get(viewer=actor, customer_id=customer_id)
    except NotFound:
        return _not_found(request)
    sources = selectors.source_leads_of(viewer=actor, customer_id=customer_id)
    return render(request, "leads/source_leads.html", {"sources": sources})
