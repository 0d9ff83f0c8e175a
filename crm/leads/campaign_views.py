"""Administrators' screens for campaigns and their web forms, with the snippet to embed."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from crm.core.actors import web_actor
from crm.core.errors import DomainError, NotFound, apply_to_form
from crm.identity.rights import can_manage_org
from crm.identity.selectors import team_list, user_list
from crm.leads import webforms
from crm.leads.campaign_forms import CampaignForm, WebFormForm
from crm.leads.models import Campaign, WebForm
from crm.leads.webform_views import FIELD_LABELS


def _forbidden(request: HttpRequest) -> HttpResponse | None:
    if can_manage_org(web_actor(request.user)):
        return None
    return render(request, "web/forbidden.html", status=403)


def _not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "web/not_found.html", status=404)


def _choices() -> dict[str, Any]:
    return {
        "owners": [(u.pk, str(u)) for u in user_list(include_inactive=False)],
        "teams": [(t.pk, t.name) for t in team_list()],
    }


@login_required
def campaign_list_view(request: HttpRequest) -> HttpResponse:
    if refused := _forbidden(request):
        return refused
    return render(request, "leads/campaign_list.html", {"campaigns": webforms.campaign_list()})


@login_required
@require_http_methods(["GET", "POST"])
def campaign_edit_view(request: HttpRequest, campaign_id: int | None = None) -> HttpResponse:
    if refused := _forbidden(request):
        return refused
    campaign: Campaign | None = None
    initial: dict[str, Any] = {"owner_id": str(request.user.pk)}
    if campaign_id is not None:
        try:
            campaign = webforms.campaign_get(campaign_id)
        except NotFound:
            return _not_found(request)
        initial = {
            "name": campaign.name,
            "channel": campaign.channel,
            "starts_on": campaign.starts_on,
            "ends_on": campaign.ends_on,
            "owner_id": str(campaign.owner_id),
            "team_id": str(campaign.team_id or ""),
            "is_active": campaign.is_active,
        }
    form = CampaignForm(request.POST or None, initial=initial, **_choices())
    if request.method == "POST" and form.is_valid():
        try:
            saved = webforms.campaign_save(
                actor=web_actor(request.user), values=form.cleaned_data, campaign_id=campaign_id
            )
        except DomainError as exc:
            apply_to_form(exc, form)
        else:
            messages.success(request, _("Campaign “%(name)s” has been saved.") % {"name": saved.name})
            return redirect("leads:campaigns")
    return render(request, "leads/campaign_form.html", {"form": form, "campaign": campaign})


def _snippet(request: HttpRequest, web_form: WebForm) -> str:
    """A plain HTML form to paste into another site; it posts to the csrf-exempt endpoint."""
    action = request.build_absolute_uri(reverse("webforms:submit", args=[web_form.token]))
    fields = [(name, FIELD_LABELS[name], name in web_form.mandatory_fields) for name in web_form.asked_fields]
    return render_to_string(
        "leads/webform_snippet.html",
        {
            "action": action,
            "fields": fields,
            "web_form": web_form,
            "honeypot": webforms.HONEYPOT_FIELD,
            "token_field": webforms.FORM_TOKEN_FIELD,
            "token": webforms.snippet_token(web_form),
        },
    ).strip()


@login_required
@require_http_methods(["GET", "POST"])
def webform_edit_view(request: HttpRequest, campaign_id: int | None = None, form_id: int | None = None) -> HttpResponse:
    if refused := _forbidden(request):
        return refused
    web_form: WebForm | None = None
    try:
        if form_id is not None:
            web_form = webforms.webform_get(form_id)
            campaign = web_form.campaign
        else:
            campaign = webforms.campaign_get(campaign_id or 0)
    except NotFound:
        return _not_found(request)
    initial: dict[str, Any] = {
        "title": campaign.name,
        "asked_fields": ["company_name", "mobile", "email"],
        "required_fields": ["mobile"],
    }
    if web_form is not None:
        initial = {key: getattr(web_form, key) for key in WebFormForm.base_fields if key != "asked_fields"}
        initial["asked_fields"] = web_form.fields
    form = WebFormForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = webforms.webform_save(
                actor=web_actor(request.user),
                values={**form.cleaned_data, "fields": form.cleaned_data["asked_fields"], "campaign_id": campaign.pk},
                form_id=form_id,
            )
        except DomainError as exc:
            apply_to_form(exc, form)
        else:
            messages.success(request, _("The web form has been saved."))
            return redirect("leads:webform_edit", form_id=saved.pk)
    context: dict[str, Any] = {"form": form, "campaign": campaign, "web_form": web_form}
    if web_form is not None:
        context["hosted_url"] = request.build_absolute_uri(reverse("webforms:page", args=[web_form.token]))
        context["snippet"] = _snippet(request, web_form)
    return render(request, "leads/webform_form.html", context)
