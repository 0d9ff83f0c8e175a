"""The inbox page, the bell's unread badge and marking notices read."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from crm.core.actors import web_actor
from crm.core.htmx import is_htmx
from crm.core.pagination import InvalidCursor
from crm.identity.models import User
from crm.notifications import selectors, services
from crm.notifications.models import Notification


def _user(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]  # login is required on every route
    return user


@login_required
@require_GET
def inbox_view(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") == "1"
    try:
        page = selectors.inbox_page(_user(request), cursor=request.GET.get("cursor"), unread_only=unread_only)
    except InvalidCursor:
        page = selectors.inbox_page(_user(request), cursor=None, unread_only=unread_only)
    context = {"page": page, "unread_only": unread_only, "nav_active": "notifications"}
    if is_htmx(request) and request.GET.get("cursor"):
        return render(request, "notifications/inbox_rows.html", context)
    return render(request, "notifications/inbox.html", context)


@login_required
@require_GET
def badge_view(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "notifications/badge.html",
        {"unread": selectors.unread_count(_user(request)), "cap": selectors.UNREAD_CAP},
    )


@login_required
@require_POST
def open_view(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark the notice read and follow its link (only ever to a page of this site)."""
    services.notification_mark_read(web_actor(request.user), notification_id)
    notice = selectors.inbox(_user(request)).filter(pk=notification_id).only("url").first()
    target = notice.url if isinstance(notice, Notification) else ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("notifications:inbox")


@login_required
@require_POST
def read_all_view(request: HttpRequest) -> HttpResponse:
    services.notification_mark_all_read(web_actor(request.user))
    return redirect("notifications:inbox")
