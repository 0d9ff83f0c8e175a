"""The follow-up panel on a customer page, the task list, and each user's calendar feed."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm.access.visibility import can_change
from crm.activities import calendar_feed, selectors, services
from crm.activities.forms import ActivityForm, TaskForm
from crm.activities.mailing import PREFERENCE, wants_email
from crm.core.actors import Actor, web_actor
from crm.core.errors import DomainError, NotFound, apply_to_form
from crm.core.htmx import is_htmx
from crm.core.pagination import InvalidCursor
from crm.core.params import datetime_param, int_param
from crm.customers.models import Customer
from crm.customers.selectors import contacts_of_customer, customer_get
from crm.identity.models import User
from crm.identity.selectors import user_list
from crm.identity.services import hash_token, preference_set

# Entries per page of a customer's timeline: a customer with thousands of follow-ups shows the
# newest and a button for the next page, so the panel renders quickly whatever the history.
TIMELINE_PAGE = 30


def _timeline(actor: Actor, customer: Customer, before: dt.datetime | None) -> dict[str, Any]:
    items = selectors.customer_timeline(viewer=actor, customer=customer, limit=TIMELINE_PAGE + 1, before=before)
    shown, older = selectors.timeline_page(items, TIMELINE_PAGE)
    return {"customer": customer, "timeline": shown, "older": older.isoformat() if older else "", "appended": before}


def _panel(request: HttpRequest, actor: Actor, customer: Customer, form: ActivityForm | None = None) -> HttpResponse:
    contacts = contacts_of_customer(viewer=actor, customer_id=customer.pk)
    if form is None:
        form = ActivityForm(contacts=[(c.pk, c.name) for c in contacts])
    context = {"form": form, **_timeline(actor, customer, None)}
    return render(request, "activities/panel.html", context)


@login_required
def timeline_older_view(request: HttpRequest, customer_id: int) -> HttpResponse:
    """The next page of a customer's timeline, appended by the panel's "show older" button."""
    actor = web_actor(request.user)
    before = datetime_param(request.GET.get("before"))
    if before is None:
        return HttpResponseBadRequest(_("The link to older entries is malformed; reload the page."))
    try:
        customer = customer_get(viewer=actor, customer_id=customer_id)
    except NotFound:
        return render(request, "web/not_found.html", status=404)
    return render(request, "activities/timeline_items.html", _timeline(actor, customer, before))


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


# Tasks -----------------------------------------------------------------------------------------


def _assignable(actor: Actor) -> list[tuple[int, str]]:
    """The people the actor may give a task to: themselves first, then those whose work they manage."""
    me = actor.user_id
    people = [
        (user.pk, str(user))
        for user in user_list(include_inactive=False)
        if user.pk == me or can_change(actor, SimpleNamespace(owner_id=user.pk, team_id=user.team_id))
    ]
    return sorted(people, key=lambda person: person[0] != me)


def _task_values(form: TaskForm) -> dict[str, Any]:
    data = form.cleaned_data
    remind_at = data.get("remind_at")
    if remind_at is not None and timezone.is_naive(remind_at):
        remind_at = timezone.make_aware(remind_at)
    return {
        "title": data["title"],
        "due_on": data["due_on"],
        "due_time": data.get("due_time"),
        "remind_at": remind_at,
        "notes": data.get("notes", ""),
        "owner_id": data.get("owner_id") or None,
    }


@login_required
@require_http_methods(["GET", "POST"])
def tasks_view(request: HttpRequest) -> HttpResponse:
    """GET: the task list by bucket (overdue, today, upcoming, open, done). POST: add a task."""
    actor = web_actor(request.user)
    owners = _assignable(actor)
    bucket = request.GET.get("bucket", "open")
    if bucket not in selectors.TASK_BUCKETS:
        bucket = "open"
    customer = None
    customer_id = int_param(request.GET.get("customer") or request.POST.get("customer_id"))
    if customer_id is not None:
        try:
            customer = customer_get(viewer=actor, customer_id=customer_id)
        except NotFound:
            return render(request, "web/not_found.html", status=404)
    form = TaskForm(
        request.POST or None,
        owners=owners,
        initial={"due_on": timezone.localdate(), "owner_id": actor.user_id, "customer_id": customer_id},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.task_create(actor=actor, values={**_task_values(form), "customer_id": customer_id})
        except DomainError as exc:
            apply_to_form(exc, form)
        else:
            messages.success(request, _("Task added."))
            return redirect(request.get_full_path())
    owner_id = int_param(request.GET.get("owner"))
    filters = selectors.TaskFilters(
        bucket=bucket,
        owner_id=owner_id if owner_id is not None else (actor.user_id if len(owners) <= 1 else None),
        customer_id=customer.pk if customer else None,
    )
    try:
        page = selectors.task_page(viewer=actor, filters=filters, cursor=request.GET.get("cursor"))
    except InvalidCursor:
        page = selectors.task_page(viewer=actor, filters=filters, cursor=None)
    context = {
        "form": form,
        "page": page,
        "bucket": bucket,
        "buckets": [
            ("overdue", _("Overdue")),
            ("today", _("Today")),
            ("upcoming", _("Upcoming")),
            ("open", _("All open")),
            ("done", _("Done")),
        ],
        "owners": owners,
        "owner_id": filters.owner_id,
        "customer": customer,
        "today": timezone.localdate(),
        "nav_active": "tasks",
    }
    if is_htmx(request) and request.GET.get("cursor"):
        return render(request, "activities/task_list.html#rows", context)
    status = 422 if request.method == "POST" else 200
    return render(request, "activities/task_list.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def task_edit_view(request: HttpRequest, task_id: int) -> HttpResponse:
    actor = web_actor(request.user)
    try:
        task = selectors.task_get(viewer=actor, task_id=task_id)
    except NotFound:
        return render(request, "web/not_found.html", status=404)
    owners = _assignable(actor)
    initial = {
        "title": task.title,
        "due_on": task.due_on,
        "due_time": task.due_time,
        "remind_at": timezone.localtime(task.remind_at) if task.remind_at else None,
        "notes": task.notes,
        "owner_id": task.owner_id,
        "version": task.version,
    }
    form = TaskForm(request.POST or None, owners=owners, initial=initial)
    if task.owner_id not in {pk for pk, _name in owners}:
        form.fields["owner_id"].widget.attrs["disabled"] = True
    if request.method == "POST" and form.is_valid():
        values = _task_values(form)
        if not values["owner_id"] or int(values["owner_id"]) == task.owner_id:
            values.pop("owner_id")
        try:
            services.task_update(
                actor=actor, task_id=task.pk, version=form.cleaned_data.get("version") or 0, values=values
            )
        except DomainError as exc:
            apply_to_form(exc, form)
        else:
            messages.success(request, _("Task saved."))
            return redirect("tasks:list")
    context = {"form": form, "task": task, "nav_active": "tasks"}
    return render(request, "activities/task_form.html", context, status=422 if request.method == "POST" else 200)


@login_required
@require_POST
def task_status_view(request: HttpRequest, task_id: int, action: str) -> HttpResponse:
    """Tick off, reopen or delete a task; answers HTMX with the refreshed row (or nothing)."""
    actor = web_actor(request.user)
    operations = {"done": services.task_complete, "reopen": services.task_reopen, "delete": services.task_delete}
    try:
        task = operations[action](actor=actor, task_id=task_id)
    except NotFound:
        return render(request, "web/not_found.html", status=404)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(request.POST.get("next") or reverse("tasks:list"))
    if is_htmx(request):
        if action == "delete":
            return HttpResponse("")
        task = selectors.task_get(viewer=actor, task_id=task.pk)
        return render(request, "activities/task_row.html", {"task": task, "today": timezone.localdate()})
    next_url = request.POST.get("next", "")
    return redirect(next_url if next_url.startswith("/") and not next_url.startswith("//") else "tasks:list")


@login_required
@require_http_methods(["GET", "POST"])
def calendar_view(request: HttpRequest) -> HttpResponse:
    """The user's calendar address (shown once when made) and whether reminders come by e-mail."""
    actor = web_actor(request.user)
    user: User = request.user  # type: ignore[assignment]
    feed_url = ""
    if request.method == "POST" and request.POST.get("action") == "reset":
        token = services.calendar_feed_reset(actor=actor)
        feed_url = request.build_absolute_uri(reverse("tasks:calendar_feed", args=[token]))
    elif request.method == "POST" and request.POST.get("action") == "email":
        preference_set(actor=actor, key=PREFERENCE, value=request.POST.get("email_reminders") == "on")
        messages.success(request, _("Your e-mail settings have been saved."))
        return redirect("tasks:calendar")
    context = {
        "feed_url": feed_url,
        "has_feed": selectors.calendar_feed_exists(user),
        "email_reminders": wants_email(user),
        "has_email": bool(user.email),
        "nav_active": "tasks",
    }
    return render(request, "activities/calendar.html", context)


@require_GET
def calendar_feed_view(request: HttpRequest, token: str) -> HttpResponse:
    """An iCalendar feed of the user's open tasks; the secret in the address is the only credential."""
    owner = selectors.calendar_feed_owner(hash_token(token)) if len(token) < 100 else None
    if owner is None:
        return HttpResponse(status=404)
    body = calendar_feed.render(owner, selectors.calendar_tasks(owner), base_url=request.build_absolute_uri("/"))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response
