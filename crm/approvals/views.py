"""Approval screens: the approver's queue, a record's approval panel (htmx), decisions, delegation, the flow editor."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm.approvals import selectors, services
from crm.approvals.forms import DelegationForm, FlowForm, StepForm
from crm.approvals.models import ApprovalRequest
from crm.approvals.presentation import describe_conditions, flow_step_approver, request_view
from crm.approvals.registry import ApprovalSubject, is_registered, registered_subjects, subject_for
from crm.core.actors import web_actor
from crm.core.errors import DomainError, NotFound, apply_to_form
from crm.core.htmx import is_htmx
from crm.core.pagination import InvalidCursor
from crm.identity.models import User
from crm.identity.rights import can_manage_org
from crm.identity.selectors import role_list

DECISIONS = ("approve", "reject", "return", "withdraw")


def _user(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]  # login is required on every route
    return user


def _not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "web/not_found.html", status=404)


def _user_choices() -> list[tuple[int, str]]:
    return [(user.pk, str(user)) for user in selectors.approver_choices()]


# Queue -----------------------------------------------------------------------------------------


@login_required
@require_GET
def queue_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    try:
        page = selectors.approval_queue_page(user, cursor=request.GET.get("cursor"))
    except InvalidCursor:
        page = selectors.approval_queue_page(user, cursor=None)
    kinds = {subject.kind: str(subject.label) for subject in registered_subjects()}
    for item in page.items:
        item.kind_label = kinds.get(item.kind, item.kind)  # type: ignore[attr-defined]
    context: dict[str, Any] = {"page": page}
    if is_htmx(request) and request.GET.get("cursor"):
        return render(request, "approvals/queue.html#rows", context)
    context.update(
        {
            "submitted": selectors.approvals_submitted_by(user),
            "delegations": selectors.delegations_of(user),
            "standing_in_for": selectors.delegations_to(user),
            "delegation_form": DelegationForm(users=_others(user)),
        }
    )
    return render(request, "approvals/queue.html", context)


def _others(user: User) -> list[tuple[int, str]]:
    return [(pk, name) for pk, name in _user_choices() if pk != user.pk]


@login_required
@require_GET
def badge_view(request: HttpRequest) -> HttpResponse:
    count = selectors.approval_queue_count(_user(request))
    return render(request, "approvals/badge.html", {"count": count, "cap": selectors.QUEUE_COUNT_CAP})


# A record's panel and decisions ----------------------------------------------------------------


def _panel_context(request: HttpRequest, kind: str, target_id: int) -> dict[str, Any]:
    user = _user(request)
    history = selectors.approval_history(kind, target_id)
    return {
        "kind": kind,
        "target_id": target_id,
        "views": [request_view(item, user) for item in history],
        "panel_id": f"approval-panel-{kind}-{target_id}",
    }


@login_required
@require_GET
def panel_view(request: HttpRequest, kind: str, target_id: int) -> HttpResponse:
    """The approvals of one record, for its page to load with `hx-get`."""
    if not is_registered(kind) or not selectors.may_view_record(web_actor(request.user), kind, target_id):
        return _not_found(request)
    return render(request, "approvals/panel.html", _panel_context(request, kind, target_id))


@login_required
@require_GET
def request_detail_view(request: HttpRequest, request_id: int) -> HttpResponse:
    try:
        approval = selectors.approval_get(viewer=web_actor(request.user), request_id=request_id)
    except NotFound:
        return _not_found(request)
    context = _panel_context(request, approval.kind, approval.target_id)
    context["approval"] = request_view(approval, _user(request))
    return render(request, "approvals/request_detail.html", context)


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


@login_required
@require_POST
def decide_view(request: HttpRequest, request_id: int, decision: str) -> HttpResponse:
    """Approve, reject, return or withdraw; htmx gets the record's panel back, a form post a redirect."""
    if decision not in DECISIONS:
        return _not_found(request)
    actor = web_actor(request.user)
    comment = request.POST.get("comment", "")
    seen = request.POST.get("step", "")
    step = int(seen) if seen.isdigit() else None
    error: DomainError | None = None
    try:
        approval: ApprovalRequest
        if decision == "approve":
            approval = services.approval_approve(actor, request_id, comment=comment, step=step)
        elif decision == "reject":
            approval = services.approval_reject(actor, request_id, comment=comment, step=step)
        elif decision == "return":
            approval = services.approval_return(actor, request_id, comment=comment, step=step)
        else:
            approval = services.approval_withdraw(actor, request_id)
    except NotFound:
        return _not_found(request)
    except DomainError as exc:
        error = exc
    if is_htmx(request):
        kind, target_id = request.POST.get("kind", ""), request.POST.get("target_id", "")
        if not is_registered(kind) or not target_id.isdigit():
            return _not_found(request)
        context = _panel_context(request, kind, int(target_id))
        context.update({"error": error.message if error else "", "error_request": request_id, "comment": comment})
        response = render(request, "approvals/panel.html", context)
        if error is None:
            # The record's page may refresh its status badge and lock when an approval moves on.
            response["HX-Trigger"] = "approval-changed"
        return response
    if error is not None:
        messages.error(request, error.message)
    else:
        done = {
            "approve": _("You have approved “%(title)s”."),
            "reject": _("You have rejected “%(title)s”."),
            "return": _("You have returned “%(title)s” to the submitter."),
            "withdraw": _("You have withdrawn “%(title)s”."),
        }[decision]
        messages.success(request, done % {"title": approval.title})
    return redirect(_safe_next(request, reverse("approvals:queue")))


# Delegation ------------------------------------------------------------------------------------


@login_required
@require_POST
def delegation_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = DelegationForm(request.POST, users=_others(user))
    if form.is_valid():
        try:
            services.delegation_set(
                web_actor(user),
                delegate_id=form.cleaned_data["delegate"],
                starts_on=form.cleaned_data["starts_on"],
                ends_on=form.cleaned_data["ends_on"],
            )
        except DomainError as exc:
            apply_to_form(exc, form)
        else:
            messages.success(request, _("Your delegate has been set."))
            return redirect("approvals:queue")
    for field_errors in form.errors.values():
        for message in field_errors:
            messages.error(request, str(message))
    return redirect("approvals:queue")


@login_required
@require_POST
def delegation_cancel_view(request: HttpRequest, delegation_id: int) -> HttpResponse:
    try:
        services.delegation_cancel(web_actor(request.user), delegation_id=delegation_id)
    except NotFound:
        return _not_found(request)
    messages.success(request, _("The delegation has been cancelled."))
    return redirect("approvals:queue")


# Flow editor (administrators) ------------------------------------------------------------------


@login_required
@require_GET
def flow_list_view(request: HttpRequest) -> HttpResponse:
    if not can_manage_org(web_actor(request.user)):
        return render(request, "web/forbidden.html", status=403)
    flows = selectors.flow_list()
    rows = []
    for subject in registered_subjects():
        flow = flows.get(subject.kind)
        steps = list(flow.steps.all()) if flow else []
        rows.append(
            {
                "subject": subject,
                "flow": flow,
                "steps": [
                    (step, flow_step_approver(step), describe_conditions(step.conditions, subject.kind))
                    for step in steps
                ],
            }
        )
    return render(request, "approvals/flow_list.html", {"rows": rows})


def _step_form(subject: ApprovalSubject, data: Any = None, **kwargs: Any) -> StepForm:
    roles = [(role.pk, role.display_name) for role in role_list()]
    return StepForm(data, users=_user_choices(), roles=roles, facts=subject.fact_labels, **kwargs)


@login_required
@require_http_methods(["GET", "POST"])
def flow_edit_view(request: HttpRequest, kind: str) -> HttpResponse:
    actor = web_actor(request.user)
    if not can_manage_org(actor):
        return render(request, "web/forbidden.html", status=403)
    if not is_registered(kind):
        return _not_found(request)
    subject = subject_for(kind)
    flow = selectors.flow_for(kind)
    which = request.POST.get("form", "") if request.method == "POST" else ""
    flow_form = FlowForm(
        request.POST if which == "flow" else None,
        initial={"name": flow.name if flow else str(subject.label), "is_active": flow.is_active if flow else True},
        prefix="flow",
    )
    if which == "flow" and flow_form.is_valid():
        try:
            services.flow_save(
                actor, kind=kind, name=flow_form.cleaned_data["name"], is_active=flow_form.cleaned_data["is_active"]
            )
        except DomainError as exc:
            apply_to_form(exc, flow_form)
        else:
            messages.success(request, _("The approval flow has been saved."))
            return redirect("approvals:flow", kind=kind)
    add_form = _step_form(
        subject, request.POST if which == "add" else None, prefix="new", initial={"approver_kind": "manager"}
    )
    if which == "add" and flow is not None and add_form.is_valid():
        try:
            services.flow_step_add(actor, kind=kind, values=add_form.values())
        except DomainError as exc:
            _apply_step_error(exc, add_form)
        else:
            messages.success(request, _("The step has been added."))
            return redirect("approvals:flow", kind=kind)
    step_forms = []
    for step in selectors.flow_steps(flow) if flow else []:
        bound = which == "step" and request.POST.get("step") == str(step.pk)
        form = _step_form(
            subject, request.POST if bound else None, prefix=f"s{step.pk}", initial=StepForm.initial_for(step)
        )
        if bound and form.is_valid():
            try:
                services.flow_step_update(actor, step_id=step.pk, values=form.values())
            except DomainError as exc:
                _apply_step_error(exc, form)
            else:
                messages.success(request, _("Step “%(name)s” has been saved.") % {"name": form.cleaned_data["name"]})
                return redirect("approvals:flow", kind=kind)
        step_forms.append((step, form, flow_step_approver(step), describe_conditions(step.conditions, kind)))
    context = {
        "subject": subject,
        "flow": flow,
        "flow_form": flow_form,
        "add_form": add_form,
        "step_forms": step_forms,
    }
    return render(request, "approvals/flow_edit.html", context)


def _apply_step_error(error: DomainError, form: StepForm) -> None:
    """Conditions errors belong to the condition rows, shown above them."""
    for item in error.errors:
        if item.field == "conditions":
            form.add_error(None, item.message)
        elif item.field in form.fields:
            form.add_error(item.field, item.message)
    if not error.errors:
        form.add_error(None, error.message)


@login_required
@require_POST
def step_delete_view(request: HttpRequest, step_id: int) -> HttpResponse:
    actor = web_actor(request.user)
    if not can_manage_org(actor):
        return render(request, "web/forbidden.html", status=403)
    try:
        step = selectors.flow_step_get(step_id=step_id)
        services.flow_step_delete(actor, step_id=step_id)
    except NotFound:
        return _not_found(request)
    messages.success(request, _("The step has been removed."))
    return redirect("approvals:flow", kind=step.flow.kind)


@login_required
@require_POST
def step_move_view(request: HttpRequest, step_id: int, direction: str) -> HttpResponse:
    actor = web_actor(request.user)
    if not can_manage_org(actor) or direction not in ("up", "down"):
        return render(request, "web/forbidden.html", status=403)
    try:
        step = selectors.flow_step_get(step_id=step_id)
        services.flow_step_move(actor, step_id=step_id, up=direction == "up")
    except NotFound:
        return _not_found(request)
    return redirect("approvals:flow", kind=step.flow.kind)
