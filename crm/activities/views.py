"""The follow-up panel on a customer page: log a follow-up, see the timeline, settle due contacts."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from crm.activities import selectors, services
from crm.activities.forms import ActivityForm
from crm.core.actors import Actor, web_actor
from crm.core.errors import DomainError, NotFound, apply_to_form
from crm.core.htmx import is_htmx
from crm.customers.models import Customer
from crm.customers.selectors import contacts_of_customer, customer_get


def _panel(request: HttpRequest, actor: Actor, customer: Customer, form: ActivityForm | None = None) -> HttpResponse:
    contacts = contacts_of_customer(viewer=actor, customer_id=customer.pk)
    if form is None:
        form = ActivityForm(contacts=[(c.pk, c.name) for c in contacts])
    context = {
        "customer": customer,
        "form": form,
        "timeline": selectors.customer_timeline(viewer=actor, customer=customer),
    }
    return render(request, "activities/panel.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def panel_view(request: HttpRequest, customer_id: int) -> HttpResponse:
    """GET: the panel. POST: log a follow-up and answer with the refreshed panel."""
    actor = web_actor(request.user)
    try:
        customer = customer_get(viewer=actor, customer_id=customer_id)
    except NotFound:
        return render(request, "web/not_found.html", status=404)
    if request.method == "POST":
        contacts = contacts_of_customer(viewer=actor, customer_id=customer.pk)
        form = ActivityForm(request.POST, contacts=[(c.pk, c.name) for c in contacts])
        if form.is_valid():
            try:
                services.activity_create(actor=actor, values={**form.cleaned_data, "customer_id": customer.pk})
            except DomainError as exc:
                apply_to_form(exc, form)
            else:
                if not is_htmx(request):
                    return redirect("customers:detail", customer_id=customer.pk)
                return _panel(request, actor, customer)
        if not is_htmx(request):
            return redirect("customers:detail", customer_id=customer.pk)
        return _panel(request, actor, customer, form)
    return _panel(request, actor, customer)


@login_required
@require_POST
def done_view(request: HttpRequest, activity_id: int) -> HttpResponse:
    """Settle a due next contact from the home page."""
    try:
        services.activity_mark_done(actor=web_actor(request.user), activity_id=activity_id)
    except DomainError:
        return render(request, "web/not_found.html", status=404)
    return redirect("web:home")
