"""The neglected-customer settings screen (administrators only)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from crm.core.actors import web_actor
from crm.core.errors import DomainError, apply_to_form
from crm.customers.forms import NeglectSettingsForm
from crm.customers.neglect import SETTINGS_FIELDS, neglect_settings_get, neglect_settings_save
from crm.identity.rights import can_manage_org


@login_required
@require_http_methods(["GET", "POST"])
def neglect_settings_view(request: HttpRequest) -> HttpResponse:
    actor = web_actor(request.user)
    if not can_manage_org(actor):
        return render(request, "web/forbidden.html", status=403)
    current = neglect_settings_get()
    initial = {name: getattr(current, name) for name in SETTINGS_FIELDS}
    form = NeglectSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            neglect_settings_save(actor=actor, values=form.cleaned_data)
        except DomainError as exc:
            apply_to_form(exc, form)
        else:
            messages.success(request, _("The neglected-customer settings have been saved."))
            return redirect("customers:neglect_settings")
    return render(request, "customers/neglect_settings.html", {"form": form})
