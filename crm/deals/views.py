"""Deal screens: the board, the list with export, the detail page, forms and pipeline settings."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from crm.activities.selectors import TaskFilters, task_list
from crm.activities.services import task_create
from crm.core import clock
from crm.core.actors import Actor, web_actor
from crm.core.errors import (
    Conflict,
    DomainError,
    FieldError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
    apply_to_form,
)
from crm.core.htmx import is_htmx
from crm.core.pagination import InvalidCursor
from crm.core.params import date_param, int_param
from crm.customers.exporting import export_response
from crm.customers.selectors import contacts_of_customer, customer_choices
from crm.deals import selectors, services
from crm.deals.errors import MoveRefused, StageRequirementsMissing
from crm.deals.forms import DealContactForm, DealForm, StageForm
from crm.deals.funnel import FunnelFilters, funnel_by_stage
from crm.deals.models import CloseKind, Deal, ObjectionOutcome, Pipeline, Stage, StageKind
from crm.deals.presentation import DEAL_COLUMNS, duration
from crm.deals.stage_rules import EVIDENCE_RULES, FIELD_RULES, check_move, may_override, requirements_of
from crm.deals.win_loss import default_period, win_loss_analysis
from crm.identity.rights import can_export, can_manage_org
from crm.identity.selectors import team_list, user_list

PAGE_SIZE = 25
DEAL_TYPE = "deals.deal"  # how tasks and other apps refer to a deal (related_type)
CARDS_PER_COLUMN = 20


def _not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "web/not_found.html", status=404)


def _filters_from(request: HttpRequest, pipeline: Pipeline | None = None) -> selectors.DealFilters:
    get = request.GET
    sort = get.get("sort", selectors.DEFAULT_SORT)
    month = get.get("close_month", "").strip()[:7]
    status = get.get("status", "")
    return selectors.DealFilters(
        q=get.get("q", "").strip()[:100],
        pipeline_id=pipeline.pk if pipeline else int_param(get.get("pipeline")),
        status=status if status in StageKind.values else "",
        owner_id=int_param(get.get("owner")),
        team_id=int_param(get.get("team")),
        customer_id=int_param(get.get("customer")),
        close_month=month if len(month) == 7 else "",
        sort=sort if sort in selectors.SORTS else selectors.DEFAULT_SORT,
        stalled=get.get("stalled") == "1",
    )


def _filter_context(filters: selectors.DealFilters) -> dict[str, Any]:
    return {
        "filters": filters,
        "owners": user_list(include_inactive=False),
        "teams": team_list(),
        "pipelines": list(selectors.pipeline_list()),
    }


# The board ---------------------------------------------------------------------------------------


def _board_pipeline(request: HttpRequest) -> Pipeline | None:
    pipeline_id = int_param(request.GET.get("pipeline"))
    if pipeline_id:
        pipeline = selectors.pipeline_list().filter(pk=pipeline_id).first()
        if pipeline is not None:
            return pipeline
    default = selectors.pipeline_default()
    return selectors.pipeline_list().filter(pk=default.pk).first() if default else None


def _columns(actor: Actor, filters: selectors.DealFilters, pipeline: Pipeline) -> list[dict[str, Any]]:
    totals = selectors.board_totals(viewer=actor, filters=filters)
    columns = []
    for stage in pipeline.stages.all():
        column: dict[str, Any] = {"stage": stage, "totals": totals.get(stage.pk, selectors.ColumnTotals())}
        if stage.kind == StageKind.OPEN:
            column["page"] = selectors.board_column(
                viewer=actor, filters=filters, stage=stage, cursor=None, size=CARDS_PER_COLUMN
            )
        columns.append(column)
    return columns


@login_required
def board_view(request: HttpRequest) -> HttpResponse:
    actor = web_actor(request.user)
    pipeline = _board_pipeline(request)
    if pipeline is None:
        return _not_found(request)
    filters = _filters_from(request, pipeline)
    columns = _columns(actor, filters, pipeline)
    context = {
        **_filter_context(filters),
        "pipeline": pipeline,
        "open_columns": [c for c in columns if c["stage"].kind == StageKind.OPEN],
        "closed_columns": [c for c in columns if c["stage"].kind != StageKind.OPEN],
    }
    return render(request, "deals/board.html", context)


@login_required
def board_column_view(request: HttpRequest, stage_id: int) -> HttpResponse:
    """The next cards of one column ("load more")."""
    actor = web_actor(request.user)
    stage = selectors.open_stage_get(stage_id=stage_id)
    if stage is None:
        return _not_found(request)
    filters = _filters_from(request, stage.pipeline)
    try:
        page = selectors.board_column(
            viewer=actor, filters=filters, stage=stage, cursor=request.GET.get("cursor"), size=CARDS_PER_COLUMN
        )
    except InvalidCursor:
        return _not_found(request)
    return render(request, "deals/board.html#cards", {"column": {"stage": stage, "page": page}, "filters": filters})


def _hx_trigger(response: HttpResponse, event: str, detail: dict[str, Any]) -> HttpResponse:
    response["HX-Trigger"] = json.dumps({event: detail})
    return response


@login_required
@require_POST
def board_move_view(request: HttpRequest) -> HttpResponse:
    """A card dropped on another column: move it, or explain why not and let the card snap back."""
    actor = web_actor(request.user)
    deal_id = int_param(request.POST.get("deal_id")) or 0
    version = int_param(request.POST.get("version")) or 0
    stage_id = request.POST.get("stage_id")
    context: dict[str, Any] = {"deal_id": deal_id}
    try:
        deal = services.deal_move(actor=actor, deal_id=deal_id, version=version, stage_id=stage_id)
    except (MoveRefused, StageRequirementsMissing) as exc:
        context.update({"title": exc.message, "missing": exc.extra.get("missing", [])})
        response = render(request, "deals/board.html#refused", context)
        return _hx_trigger(response, "deal-move-refused", {"deal_id": deal_id})
    except DomainError as exc:
        context.update({"title": exc.message, "missing": []})
        response = render(request, "deals/board.html#refused", context)
        return _hx_trigger(response, "deal-move-refused", {"deal_id": deal_id})
    filters = _filters_from(request, deal.pipeline)
    totals = selectors.board_totals(viewer=actor, filters=filters)
    stages = list(deal.pipeline.stages.all())
    context.update(
        {
            "deal": deal,
            "columns": [{"stage": s, "totals": totals.get(s.pk, selectors.ColumnTotals())} for s in stages],
        }
    )
    response = render(request, "deals/board.html#moved", context)
    return _hx_trigger(response, "deal-moved", {"deal_id": deal.pk, "version": deal.version})


# The list ----------------------------------------------------------------------------------------


@login_required
def deal_list_view(request: HttpRequest) -> HttpResponse:
    actor = web_actor(request.user)
    filters = _filters_from(request)
    try:
        page = selectors.deal_page(viewer=actor, filters=filters, cursor=request.GET.get("cursor"), size=PAGE_SIZE)
    except InvalidCursor:
        return redirect("deals:list")
    context = {
        **_filter_context(filters),
        "page": page,
        "may_export": can_export(actor),
        "statuses": StageKind.choices,
        "sorts": [
            ("-created_at", _("Newest first")),
            ("-updated_at", _("Recently updated")),
            ("-amount", _("Largest amount")),
            ("name", _("Name")),
        ],
    }
    if is_htmx(request) and request.GET.get("cursor"):
        return render(request, "deals/deal_list.html#rows", context)
    return render(request, "deals/deal_list.html", context)


@login_required
@require_POST
def deal_bulk_owner_view(request: HttpRequest) -> HttpResponse:
    """Give the ticked deals of the list to another owner."""
    actor = web_actor(request.user)
    ids = [pk for pk in (int_param(raw) for raw in request.POST.getlist("deal")) if pk]
    if not ids:
        messages.error(request, _("Tick the deals to hand over first."))
    else:
        try:
            changed, skipped = services.deal_bulk_change_owner(
                actor=actor, deal_ids=ids, owner_id=request.POST.get("owner_id")
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            message = _("%(changed)d deal(s) handed over.") % {"changed": changed}
            if skipped:
                message += " " + _("%(skipped)d skipped: you may not change them.") % {"skipped": skipped}
            messages.success(request, message)
    target = request.POST.get("next", "")
    return redirect(target if target.startswith("/") and not target.startswith("//") else "deals:list")


@login_required
def deal_export_view(request: HttpRequest, file_format: str) -> HttpResponse | StreamingHttpResponse:
    actor = web_actor(request.user)
    if not can_export(actor):
        return render(request, "web/forbidden.html", status=403)
    filters = _filters_from(request)
    return export_response(
        actor=actor,
        object_type="deals.deal",
        file_stem="deals",
        file_format=file_format,
        columns=DEAL_COLUMNS,
        records=selectors.deal_export_rows(viewer=actor, filters=filters),
        filters=filters.as_params(),
    )


@login_required
def customer_deals_panel_view(request: HttpRequest, customer_id: int) -> HttpResponse:
    """The deals panel of a customer's page, loaded into it by htmx."""
    actor = web_actor(request.user)
    deals = selectors.deals_of_customer(viewer=actor, customer_id=customer_id)
    return render(request, "deals/customer_panel.html", {"deals": deals, "customer_id": customer_id})


# Detail ------------------------------------------------------------------------------------------


def _next_stage(deal: Deal, stages: list[Stage]) -> Stage | None:
    later = [s for s in stages if s.kind == StageKind.OPEN and s.position > deal.stage.position]
    if later:
        return later[0]
    return next((s for s in stages if s.kind == StageKind.WON), None)


@login_required
def deal_detail_view(request: HttpRequest, deal_id: int) -> HttpResponse:
    actor = web_actor(request.user)
    try:
        deal = selectors.deal_get(viewer=actor, deal_id=deal_id)
    except NotFound:
        return _not_found(request)
    return render(request, "deals/deal_detail.html", _detail_context(actor, deal))


def _detail_context(actor: Actor, deal: Deal) -> dict[str, Any]:
    stages = list(deal.pipeline.stages.all())
    history = selectors.stage_history(deal=deal)
    spent = selectors.time_in_stages(deal=deal, history=history, now=clock.now())
    next_stage = _next_stage(deal, stages) if deal.stage.kind == StageKind.OPEN else None
    visited = {change.to_stage_id for change in history if change.to_stage_id != deal.stage_id}
    requirements = requirements_of(deal, next_stage) if next_stage else []
    ticked = selectors.ticked_item_ids(deal=deal)
    moves = []
    if deal.stage.kind == StageKind.OPEN:
        for stage in stages:
            if stage.kind != StageKind.OPEN or stage.pk == deal.stage_id:
                continue
            check = check_move(actor=actor, deal=deal, to_stage=stage)
            if not check.refusals:
                moves.append({"stage": stage, "ready": not check.missing, "may_override": check.may_override})
    may_change = selectors.deal_may_change(actor, deal)
    contacts = selectors.deal_contacts(deal=deal)
    linked = {link.contact_id for link in contacts}
    choices = [(c.pk, c.name) for c in contacts_of_customer(viewer=actor, customer_id=deal.customer_id)]
    return {
        "deal": deal,
        "stages": [
            {
                "stage": s,
                "done": s.pk in visited,
                "spent": duration(spent.get(s.pk)),
            }
            for s in stages
        ],
        "history": [(change, duration(change.time_in_from_stage)) for change in history],
        "next_stage": next_stage,
        "requirements": [
            {
                "item": item,
                "holds": holds,
                "tickable": item.kind == "checklist",
                "ticked": item.kind == "checklist" and int(item.field) in ticked,
            }
            for item, holds in requirements
        ],
        "moves": moves,
        "may_change": may_change,
        "may_override": may_override(actor),
        "contacts": contacts,
        "contact_form": DealContactForm(contacts=[(pk, name) for pk, name in choices if pk not in linked]),
        "collaborators": selectors.deal_collaborators(deal=deal),
        "won_reasons": selectors.close_reasons(CloseKind.WON),
        "lost_reasons": selectors.close_reasons(CloseKind.LOST),
        "is_open": deal.stage.kind == StageKind.OPEN,
        "objections": selectors.objections_of(deal=deal),
        "objection_types": selectors.objection_types(),
        "outcomes": ObjectionOutcome.choices,
        "tasks": list(
            task_list(
                viewer=actor,
                filters=TaskFilters(bucket="open", related_type=DEAL_TYPE, related_id=deal.pk),
            )
            .select_related("owner")
            .order_by("due_on", "id")[:20]
        ),
        "today": clock.today(),
    }


@login_required
@require_POST
def deal_task_create_view(request: HttpRequest, deal_id: int) -> HttpResponse:
    """Plan a task about this deal (and its customer) from the deal page."""
    actor = web_actor(request.user)
    try:
        deal = selectors.deal_get(viewer=actor, deal_id=deal_id)
    except NotFound:
        return render(request, "web/not_found.html", status=404)
    try:
        task_create(
            actor=actor,
            values={
                "title": request.POST.get("title", ""),
                "due_on": request.POST.get("due_on", ""),
                "customer_id": deal.customer_id,
                "related_type": DEAL_TYPE,
                "related_id": deal.pk,
            },
        )
    except DomainError as exc:
        messages.error(request, exc.errors[0].message if exc.errors else exc.message)
    else:
        messages.success(request, _("Task added."))
    return _detail_redirect(deal.pk)


def _detail_redirect(deal_id: int) -> HttpResponse:
    return redirect("deals:detail", deal_id=deal_id)


def _refusal_message(request: HttpRequest, exc: DomainError) -> None:
    missing = exc.extra.get("missing") or []
    if missing:
        messages.error(request, " ".join([exc.message, *[f"• {item['message']}" for item in missing]]))
    else:
        messages.error(request, exc.message)


@login_required
@require_POST
def deal_move_view(request: HttpRequest, deal_id: int) -> HttpResponse:
    actor = web_actor(request.user)
    try:
        deal = services.deal_move(
            actor=actor,
            deal_id=deal_id,
            version=int_param(request.POST.get("version")) or 0,
            stage_id=request.POST.get("stage_id"),
            override_reason=request.POST.get("override_reason", ""),
        )
    except NotFound:
        return _not_found(request)
    except DomainError as exc:
        _refusal_message(request, exc)
    else:
        messages.success(request, _("The deal moved to “%(stage)s”.") % {"stage": deal.stage.name})
    return _detail_redirect(deal_id)


@login_required
@require_POST
def deal_close_view(request: HttpRequest, deal_id: int, outcome: str) -> HttpResponse:
    actor = web_actor(request.user)
    version = int_param(request.POST.get("version")) or 0
    reason_id = request.POST.get("reason_id")
    note = request.POST.get("note", "")
    try:
        if outcome == "won":
            services.deal_close_won(actor=actor, deal_id=deal_id, version=version, reason_id=reason_id, note=note)
            messages.success(request, _("Congratulations, the deal is won."))
        elif outcome == "lost":
            services.deal_close_lost(
                actor=actor,
                deal_id=deal_id,
                version=version,
                reason_id=reason_id,
                competitor=request.POST.get("competitor", ""),
                note=note,
            )
            messages.success(request, _("The deal is marked lost."))
        else:
            return _not_found(request)
    except NotFound:
        return _not_found(request)
    except DomainError as exc:
        _refusal_message(request, exc)
    return _detail_redirect(deal_id)


@login_required
@require_POST
def deal_reopen_view(request: HttpRequest, deal_id: int) -> HttpResponse:
    try:
        deal = services.deal_reopen(
            actor=web_actor(request.user), deal_id=deal_id, version=int_param(request.POST.get("version")) or 0
        )
    except NotFound:
        return _not_found(request)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The deal is open again in “%(stage)s”.") % {"stage": deal.stage.name})
    return _detail_redirect(deal_id)


@login_required
@require_POST
def checklist_tick_view(request: HttpRequest, deal_id: int, item_id: int) -> HttpResponse:
    actor = web_actor(request.user)
    try:
        services.checklist_tick(actor=actor, deal_id=deal_id, item_id=item_id, ticked=request.POST.get("ticked") == "1")
        deal = selectors.deal_get(viewer=actor, deal_id=deal_id)
    except NotFound:
        return _not_found(request)
    except DomainError as exc:
        messages.error(request, exc.message)
        return _detail_redirect(deal_id)
    if is_htmx(request):
        return render(request, "deals/deal_detail.html#requirements", _detail_context(actor, deal))
    return _detail_redirect(deal_id)


@login_required
@require_POST
def deal_contact_add_view(request: HttpRequest, deal_id: int) -> HttpResponse:
    try:
        services.deal_contact_set(
            actor=web_actor(request.user),
            deal_id=deal_id,
            contact_id=request.POST.get("contact_id"),
            role=request.POST.get("role", ""),
        )
    except NotFound:
        return _not_found(request)
    except DomainError as exc:
        messages.error(request, exc.message)
    return _detail_redirect(deal_id)


@login_required
@require_POST
def deal_contact_remove_view(request: HttpRequest, deal_id: int, contact_id: int) -> HttpResponse:
    try:
        services.deal_contact_remove(actor=web_actor(request.user), deal_id=deal_id, contact_id=contact_id)
    except NotFound:
        return _not_found(request)
    except DomainError as exc:
        messages.error(request, exc.message)
    return _detail_redirect(deal_id)


@login_required
@require_POST
def objection_log_view(request: HttpRequest, deal_id: int) -> HttpResponse:
    try:
        services.objection_log(actor=web_actor(request.user), deal_id=deal_id, values=request.POST.dict())
    except NotFound:
        return _not_found(request)
    except DomainError as exc:
        messages.error(request, " ".join([exc.message, *[e.message for e in exc.errors]]))
    else:
        messages.success(request, _("The objection has been recorded."))
    return _detail_redirect(deal_id)


@login_required
@require_POST
def objection_outcome_view(request: HttpRequest, deal_id: int, objection_id: int) -> HttpResponse:
    try:
        services.objection_set_outcome(
            actor=web_actor(request.user), objection_id=objection_id, outcome=request.POST.get("outcome", "")
        )
    except NotFound:
        return _not_found(request)
    except DomainError as exc:
        messages.error(request, exc.message)
    return _detail_redirect(deal_id)


@login_required
def objection_analysis_view(request: HttpRequest) -> HttpResponse:
    """The most frequent objections per stage and how often each answer was followed by progress."""
    actor = web_actor(request.user)
    pipeline = _board_pipeline(request)
    analysis = selectors.objection_analysis(viewer=actor, pipeline_id=pipeline.pk if pipeline else None)
    return render(
        request,
        "deals/objection_analysis.html",
        {**analysis, "pipeline": pipeline, "pipelines": list(selectors.pipeline_list())},
    )


@login_required
def win_loss_view(request: HttpRequest) -> HttpResponse:
    """Closed deals by reason, stage lost at, owner, competitor and amount band, for a date range."""
    actor = web_actor(request.user)
    pipeline = _board_pipeline(request)
    today = clock.today()
    first, last = default_period(today)
    since = date_param(request.GET.get("since")) or first
    until = date_param(request.GET.get("until")) or last
    analysis = win_loss_analysis(viewer=actor, pipeline_id=pipeline.pk if pipeline else None, since=since, until=until)
    return render(
        request,
        "deals/win_loss.html",
        {
            **analysis,
            "pipeline": pipeline,
            "pipelines": list(selectors.pipeline_list()),
            "since": since,
            "until": until,
            "nav_active": "deals",
        },
    )


def _funnel_filters(request: HttpRequest) -> tuple[FunnelFilters, list[FieldError]]:
    """The funnel's filters from the query string; a malformed value is an error naming its field."""
    errors: list[FieldError] = []
    values: dict[str, Any] = {}
    for param, field in (("pipeline", "pipeline_id"), ("owner", "owner_id"), ("team", "team_id")):
        raw = request.GET.get(param, "").strip()
        values[field] = int_param(raw)
        if raw and values[field] is None:
            errors.append(FieldError(field, _("Choose a value from the list.")))
    for field in ("created_from", "created_to"):
        raw = request.GET.get(field, "").strip()
        values[field] = date_param(raw)
        if raw and values[field] is None:
            errors.append(FieldError(field, _("Enter a date as YYYY-MM-DD.")))
    return FunnelFilters(**values), errors


@login_required
def funnel_view(request: HttpRequest) -> HttpResponse:
    """The sales funnel: deals created in a period, how far they got stage by stage, and how long each stage took."""
    actor = web_actor(request.user)
    filters, errors = _funnel_filters(request)
    funnel = None
    if not errors:
        try:
            funnel = funnel_by_stage(viewer=actor, filters=filters)
        except ValidationFailed as exc:
            errors = exc.errors
    labels = {
        "pipeline_id": _("Pipeline"),
        "created_from": _("Created from"),
        "created_to": _("Created to"),
        "owner_id": _("Owner"),
        "team_id": _("Team"),
    }
    today = clock.today()
    context = {
        "funnel": funnel,
        "errors": [
            _("%(field)s: %(message)s") % {"field": labels.get(error.field, error.field), "message": error.message}
            for error in errors
        ],
        "pipelines": selectors.pipeline_choices(),
        "pipeline_id": funnel.pipeline.pk if funnel else filters.pipeline_id,
        "created_from": request.GET.get("created_from") or today.replace(month=1, day=1).isoformat(),
        "created_to": request.GET.get("created_to") or today.isoformat(),
        "filters": filters,
        "owners": user_list(include_inactive=False),
        "teams": team_list(),
        "nav_active": "deals",
    }
    return render(request, "deals/funnel.html", context, status=400 if errors else 200)


# Forms -------------------------------------------------------------------------------------------


def _users() -> list[tuple[int, str]]:
    return [(u.pk, str(u)) for u in user_list(include_inactive=False)]


def _deal_values(form: DealForm) -> dict[str, Any]:
    values = {key: value for key, value in form.cleaned_data.items() if key != "version"}
    if values.get("probability") is None:
        values.pop("probability", None)
    return values


@login_required
@require_http_methods(["GET", "POST"])
def deal_create_view(request: HttpRequest) -> HttpResponse:
    actor = web_actor(request.user)
    customer_id = int_param(request.GET.get("customer"))
    customers = [(c.pk, c.name) for c in customer_choices(viewer=actor, q="", limit=200)]
    if customer_id and customer_id not in {pk for pk, _name in customers}:
        customers += [(c.pk, c.name) for c in customer_choices(viewer=actor, q="", limit=2000) if c.pk == customer_id]
    pipelines = [(p.pk, p.name) for p in selectors.pipeline_list()]
    initial = {"owner_id": str(request.user.pk), "currency": "CNY", "customer_id": customer_id or ""}
    form = DealForm(request.POST or None, customers=customers, pipelines=pipelines, users=_users(), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            deal = services.deal_create(actor=actor, values=_deal_values(form))
        except DomainError as exc:
            apply_to_form(exc, form)
        else:
            messages.success(request, _("Deal “%(name)s” has been created.") % {"name": deal.name})
            return _detail_redirect(deal.pk)
    return render(request, "deals/deal_form.html", {"form": form, "deal": None})


@login_required
@require_http_methods(["GET", "POST"])
def deal_edit_view(request: HttpRequest, deal_id: int) -> HttpResponse:
    actor = web_actor(request.user)
    try:
        deal = selectors.deal_get(viewer=actor, deal_id=deal_id)
    except NotFound:
        return _not_found(request)
    if not selectors.deal_may_change(actor, deal):
        return render(request, "web/forbidden.html", status=403)
    initial = {
        "name": deal.name,
        "amount": deal.amount,
        "currency": deal.currency,
        "budget": deal.budget,
        "expected_close_on": deal.expected_close_on,
        "probability": deal.probability if deal.is_probability_manual else None,
        "owner_id": str(deal.owner_id),
        "collaborator_ids": [str(u.pk) for u in selectors.deal_collaborators(deal=deal)],
        "notes": deal.notes,
        "version": deal.version,
    }
    form = DealForm(request.POST or None, customers=[], pipelines=[], users=_users(), editing=True, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.deal_update(
                actor=actor, deal_id=deal.pk, version=form.cleaned_data.get("version") or 0, values=_deal_values(form)
            )
        except Conflict as exc:
            form.add_error(None, exc.message)
        except DomainError as exc:
            apply_to_form(exc, form)
        else:
            messages.success(request, _("Your changes have been saved."))
            return _detail_redirect(deal.pk)
    return render(request, "deals/deal_form.html", {"form": form, "deal": deal})


@login_required
@require_POST
def deal_delete_view(request: HttpRequest, deal_id: int) -> HttpResponse:
    try:
        deal = services.deal_delete(actor=web_actor(request.user), deal_id=deal_id)
    except NotFound:
        return _not_found(request)
    except PermissionDenied as exc:
        messages.error(request, exc.message)
        return _detail_redirect(deal_id)
    messages.success(request, _("“%(name)s” is in the recycle bin.") % {"name": deal.name})
    return redirect("deals:list")


@login_required
@require_POST
def deal_restore_view(request: HttpRequest, deal_id: int) -> HttpResponse:
    try:
        deal = services.deal_restore(actor=web_actor(request.user), deal_id=deal_id)
    except NotFound:
        return _not_found(request)
    except PermissionDenied as exc:
        messages.error(request, exc.message)
        return redirect("web:trash")
    messages.success(request, _("“%(name)s” has been restored.") % {"name": deal.name})
    return _detail_redirect(deal.pk)


# Pipeline settings (administrators) ----------------------------------------------------------------


def _rule_choices() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    return (
        [(code, str(rule.label)) for code, rule in FIELD_RULES.items()],
        [(code, str(rule.label)) for code, rule in EVIDENCE_RULES.items()],
    )


@login_required
@require_http_methods(["GET", "POST"])
def pipeline_list_view(request: HttpRequest) -> HttpResponse:
    actor = web_actor(request.user)
    if not can_manage_org(actor):
        return render(request, "web/forbidden.html", status=403)
    if request.method == "POST":
        try:
            pipeline = services.pipeline_create(actor=actor, name=request.POST.get("name", ""))
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            return redirect("deals:pipeline", pipeline_id=pipeline.pk)
    return render(request, "deals/pipeline_list.html", {"pipelines": selectors.pipeline_list(include_inactive=True)})


@login_required
@require_http_methods(["GET", "POST"])
def pipeline_detail_view(request: HttpRequest, pipeline_id: int) -> HttpResponse:
    actor = web_actor(request.user)
    if not can_manage_org(actor):
        return render(request, "web/forbidden.html", status=403)
    try:
        pipeline = selectors.pipeline_get(pipeline_id=pipeline_id)
    except NotFound:
        return _not_found(request)
    field_rules, evidence_rules = _rule_choices()
    if request.method == "POST" and request.POST.get("form") == "moves":
        wanted: set[tuple[int, int]] = set()
        for raw in request.POST.getlist("move"):
            parts = raw.split("-")
            if len(parts) == 2 and all(p.isdigit() for p in parts):
                wanted.add((int(parts[0]), int(parts[1])))
        try:
            services.transitions_set(actor=actor, pipeline_id=pipeline.pk, moves=wanted)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The allowed moves have been saved."))
        return redirect("deals:pipeline", pipeline_id=pipeline.pk)
    stage_forms = []
    for stage in pipeline.stages.all():
        bound = request.method == "POST" and request.POST.get("stage") == str(stage.pk)
        form = StageForm(
            request.POST if bound else None,
            prefix=f"s{stage.pk}",
            field_rules=field_rules,
            evidence_rules=evidence_rules,
            initial={
                "name": stage.name,
                "probability": stage.probability,
                "expected_days": stage.expected_days,
                "follow_up_days": stage.follow_up_days,
                "allows_override": stage.allows_override,
                "required_fields": stage.required_fields,
                "required_evidence": stage.required_evidence,
                "checklist": "\n".join(item.label for item in stage.checklist.all()),
            },
        )
        if bound and form.is_valid():
            values = dict(form.cleaned_data)
            values["checklist"] = values["checklist"].splitlines()
            try:
                services.stage_update(actor=actor, stage_id=stage.pk, values=values)
            except DomainError as exc:
                apply_to_form(exc, form)
            else:
                messages.success(request, _("Stage “%(name)s” has been saved.") % {"name": values["name"]})
                return redirect("deals:pipeline", pipeline_id=pipeline.pk)
        stage_forms.append((stage, form))
    moves = selectors.transitions_of(pipeline)
    stages = list(pipeline.stages.all())
    matrix = [
        (
            source,
            [
                (target, f"{source.pk}-{target.pk}", (source.pk, target.pk) in moves)
                for target in stages
                if target != source
            ],
        )
        for source in stages
        if source.kind == StageKind.OPEN
    ]
    return render(
        request,
        "deals/pipeline_detail.html",
        {"pipeline": pipeline, "stage_forms": stage_forms, "matrix": matrix},
    )
