"""Home page, audit log browser and recycle bin."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.tasks import task_backends
from django.utils import timezone

from crm.access.visibility import masks_contact_info
from crm.activities.selectors import tasks_due
from crm.audit.labels import related_names, type_label
from crm.audit.models import Verb
from crm.audit.selectors import AuditFilters, audit_list
from crm.core.actors import Source, web_actor
from crm.core.htmx import is_htmx
from crm.core.pagination import SortKey, paginate
from crm.core.params import date_param, int_param
from crm.core.phone import mask_email, mask_phone
from crm.core.rq_backend import RedisTaskBackend
from crm.customers.selectors import (
    ContactFilters,
    CustomerFilters,
    contact_page,
    customer_page,
    recent_customers,
)
from crm.deals.selectors import DealFilters, deal_page
from crm.identity.rights import can_view_audit
from crm.identity.selectors import user_list, user_names
from crm.leads.selectors import LeadFilters, lead_page


@login_required
def home_view(request: HttpRequest) -> HttpResponse:
    actor = web_actor(request.user)
    due = tasks_due(viewer=actor)
    return render(
        request,
        "web/home.html",
        {"due": due, "recent": recent_customers(viewer=actor), "today": timezone.localdate()},
    )


def mask_contact_value(field: str, value: object) -> object:
    if not value:
        return value
    if field in {"phone", "mobile"}:
        return mask_phone(str(value))
    if field == "email":
        return mask_email(str(value))
    return value


@login_required
def audit_view(request: HttpRequest) -> HttpResponse:
    actor = web_actor(request.user)
    if not can_view_audit(actor):
        return render(request, "web/forbidden.html", status=403)
    since = date_param(request.GET.get("since"))
    until = date_param(request.GET.get("until"))
    filters = AuditFilters(
        actor_id=int_param(request.GET.get("actor")),
        verb=request.GET.get("verb", "") if request.GET.get("verb") in Verb.values else "",
        target_type=request.GET.get("target_type", "")[:50],
        target_id=int_param(request.GET.get("target_id")),
        source=request.GET.get("source", "") if request.GET.get("source") in Source.values else "",
        since=timezone.make_aware(dt.datetime.combine(since, dt.time.min)) if since else None,
        until=timezone.make_aware(dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min)) if until else None,
    )
    page = paginate(
        audit_list(filters=filters), sort=SortKey("id", descending=True), cursor=request.GET.get("cursor"), size=50
    )
    related = related_names((entry.target_type, entry.changes) for entry in page.items)
    # The log spans every owner, so a viewer whose role masks contact details sees them masked here too.
    mask = mask_contact_value if masks_contact_info(actor, owner_id=None) else None
    context = {
        "page": page,
        "verbs": Verb.choices,
        "sources": Source.choices,
        "people": user_list(),
        "filters": filters,
        "target_types": [
            (target_type, type_label(target_type))
            for target_type in (
                "customers.customer",
                "customers.contact",
                "leads.lead",
                "activities.activity",
                "identity.user",
                "identity.team",
                "identity.role",
            )
        ],
        "names": user_names({entry.actor_id for entry in page.items if entry.actor_id}),
        "rows": [(entry, entry.labelled_change_rows(related, mask)) for entry in page.items],
    }
    if is_htmx(request):
        return render(request, "web/audit.html#rows", context)
    return render(request, "web/audit.html", context)


@login_required
def trash_view(request: HttpRequest) -> HttpResponse:
    """Deleted leads, customers, contacts and deals the user may see, newest deletion first."""
    actor = web_actor(request.user)
    customers = customer_page(
        viewer=actor, filters=CustomerFilters(deleted=True, sort="-updated_at"), cursor=None, size=100, with_tags=False
    )
    contacts = contact_page(
        viewer=actor, filters=ContactFilters(deleted=True, sort="-updated_at"), cursor=None, size=100
    )
    leads = lead_page(viewer=actor, filters=LeadFilters(deleted=True, sort="-updated_at"), cursor=None, size=100)
    deals = deal_page(viewer=actor, filters=DealFilters(deleted=True, sort="-updated_at"), cursor=None, size=100)
    context = {"leads": leads.items, "customers": customers.items, "contacts": contacts.items, "deals": deals.items}
    return render(request, "web/trash.html", context)


def health_view(request: HttpRequest) -> HttpResponse:
    """For load balancers: 200 when the database answers and, with Redis as the task queue, Redis too.

    503 names what failed: an app server that cannot queue jobs would accept writes whose
    follow-up work (notices, scans, e-mails) is lost.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    backend = task_backends["default"]
    if isinstance(backend, RedisTaskBackend) and not backend.reachable():
        return JsonResponse({"status": "error", "failing": ["task_queue"]}, status=503)
    return JsonResponse({"status": "ok"})
