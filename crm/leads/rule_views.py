"""The "Lead settings" screens: entry criteria, scoring rules, assignment rules, capacity, model report.

Administrators only (the org-manage right), refused with the same 403 page as the other
organisation screens. Thin: forms parse, crm.leads.rulebook decides and audits.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from crm.core.actors import web_actor
from crm.core.errors import DomainError, NotFound
from crm.identity.rights import can_manage_org
from crm.leads import rulebook
from crm.leads.conditions import FIELDS, OPERATOR_LABELS, OPERATORS, describe_all, parse_conditions
from crm.leads.rule_forms import FORMS, AssignmentRuleForm, RuleForm, initial_of, place_errors
from crm.leads.rulebook import ASSIGNMENT, CRITERIA, SCORING
from crm.leads.scoring.features import feature_label

TITLES = {
    CRITERIA: gettext_lazy("entry criterion"),
    SCORING: gettext_lazy("scoring rule"),
    ASSIGNMENT: gettext_lazy("assignment rule"),
}


def _refused(request: HttpRequest) -> HttpResponse | None:
    if not can_manage_org(web_actor(request.user)):
        return render(request, "web/forbidden.html", status=403)
    return None


def _not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "web/not_found.html", status=404)


def _rows(kind: str) -> list[dict[str, Any]]:
    return [
        {"rule": rule, "summary": describe_all(parse_conditions(rule.conditions))} for rule in rulebook.rule_list(kind)
    ]


@login_required
def settings_view(request: HttpRequest) -> HttpResponse:
    if (refused := _refused(request)) is not None:
        return refused
    context = {
        "criteria": _rows(CRITERIA),
        "scoring": _rows(SCORING),
        "assignment": _rows(ASSIGNMENT),
        "capacities": rulebook.rep_capacities(),
        "model": rulebook.scoring_model_current(),
    }
    return render(request, "leads/rules/settings.html", context)


def _form(kind: str, data: Any = None, initial: dict[str, Any] | None = None) -> RuleForm:
    if kind == ASSIGNMENT:
        return AssignmentRuleForm(
            data, initial=initial, users=list(rulebook.active_users()), teams=list(rulebook.teams())
        )
    return FORMS[kind](data, initial=initial)


@login_required
@require_http_methods(["GET", "POST"])
def rule_edit_view(request: HttpRequest, kind: str, rule_id: int | None = None) -> HttpResponse:
    if (refused := _refused(request)) is not None:
        return refused
    if kind not in FORMS:
        return _not_found(request)
    rule = None
    if rule_id is not None:
        try:
            rule = rulebook.rule_get(kind, rule_id)
        except NotFound:
            return _not_found(request)
    form = _form(kind, request.POST or None, initial_of(kind, rule) if rule is not None else None)
    if request.method == "POST" and form.is_valid():
        try:
            saved = rulebook.rule_save(actor=web_actor(request.user), kind=kind, values=form.values(), rule_id=rule_id)
        except DomainError as exc:
            place_errors(exc, form)
        else:
            messages.success(request, _("“%(name)s” has been saved.") % {"name": saved.name})
            return redirect(f"{_settings_url()}#{kind}")
    context = {
        "form": form,
        "kind": kind,
        "rule": rule,
        "title": TITLES[kind],
        "fields": [
            (spec.name, spec.label, [(op, OPERATOR_LABELS[op]) for op in OPERATORS[spec.kind]])
            for spec in FIELDS.values()
        ],
    }
    return render(request, "leads/rules/rule_form.html", context)


def _settings_url() -> str:
    return reverse("leads:rules:settings")


def _act(request: HttpRequest, kind: str, action: Any, done: str) -> HttpResponse:
    if (refused := _refused(request)) is not None:
        return refused
    try:
        action()
    except NotFound:
        return _not_found(request)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if done:
            messages.success(request, done)
    return redirect(f"{_settings_url()}#{kind}")


@login_required
@require_POST
def rule_move_view(request: HttpRequest, kind: str, rule_id: int, direction: str) -> HttpResponse:
    actor = web_actor(request.user)
    return _act(
        request, kind, lambda: rulebook.rule_move(actor=actor, kind=kind, rule_id=rule_id, up=direction == "up"), ""
    )


@login_required
@require_POST
def rule_toggle_view(request: HttpRequest, kind: str, rule_id: int) -> HttpResponse:
    actor = web_actor(request.user)
    active = request.POST.get("active") == "1"
    return _act(
        request,
        kind,
        lambda: rulebook.rule_set_active(actor=actor, kind=kind, rule_id=rule_id, active=active),
        _("The rule has been enabled.") if active else _("The rule has been disabled."),
    )


@login_required
@require_POST
def rule_delete_view(request: HttpRequest, kind: str, rule_id: int) -> HttpResponse:
    actor = web_actor(request.user)
    return _act(
        request,
        kind,
        lambda: rulebook.rule_delete(actor=actor, kind=kind, rule_id=rule_id),
        _("The rule has been deleted."),
    )


@login_required
@require_POST
def capacity_view(request: HttpRequest, user_id: int) -> HttpResponse:
    actor = web_actor(request.user)
    value = request.POST.get("max_open_leads", "")
    return _act(
        request,
        "capacity",
        lambda: rulebook.capacity_set(actor=actor, user_id=user_id, max_open_leads=value),
        _("The capacity has been saved."),
    )


@login_required
def model_report_view(request: HttpRequest) -> HttpResponse:
    if (refused := _refused(request)) is not None:
        return refused
    model = rulebook.scoring_model_current()
    ups: list[tuple[str, float]] = []
    downs: list[tuple[str, float]] = []
    if model is not None:
        pairs = sorted(zip(model.feature_names, model.coefficients, strict=True), key=lambda pair: -pair[1])
        ups = [(feature_label(name), weight) for name, weight in pairs if weight > 0][:10]
        downs = [(feature_label(name), weight) for name, weight in reversed(pairs) if weight < 0][:10]
    context = {
        "model": model,
        "metrics": model.metrics if model is not None else {},
        "ups": ups,
        "downs": downs,
        "min_closed": rulebook.model_min_closed(),
        "min_each": rulebook.model_min_each(),
    }
    return render(request, "leads/rules/model_report.html", context)
