"""Your notifications: `/api/v1/notifications`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import Field

from crm.api.schemas import ERRORS
from crm.core.actors import api_actor
from crm.core.errors import NotFound
from crm.identity.models import User
from crm.notifications import selectors, services

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    url: str
    target_type: str
    target_id: int | None
    created_at: dt.datetime
    read_at: dt.datetime | None


class NotificationPage(Schema):
    items: list[NotificationOut]
    next_cursor: str | None
    unread_count: int


class NotificationFilter(Schema):
    unread: bool = False
    cursor: str | None = None
    limit: int = Field(25, ge=1, le=100)


class ReadOut(Schema):
    marked: int


def _user(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]  # login is required on every route
    return user


@router.get("", response={200: NotificationPage, **ERRORS}, operation_id="list_notifications")
def list_notifications(request: HttpRequest, filters: Query[NotificationFilter]) -> dict[str, Any]:
    """Your own notices, newest first; `unread_count` is capped at 100."""
    user = _user(request)
    page = selectors.inbox_page(user, cursor=filters.cursor, size=filters.limit, unread_only=filters.unread)
    return {"items": page.items, "next_cursor": page.next_cursor, "unread_count": selectors.unread_count(user)}


@router.post("/{notification_id}/read", response={200: ReadOut, **ERRORS}, operation_id="read_notification")
def read_notification(request: HttpRequest, notification_id: int) -> dict[str, int]:
    """Mark one notice read; marking an already-read notice again changes nothing."""
    if not selectors.inbox(_user(request)).filter(pk=notification_id).exists():
        raise NotFound(_("This notification does not exist."))
    return {"marked": services.notification_mark_read(api_actor(request.user), notification_id)}


@router.post("/read-all", response={200: ReadOut, **ERRORS}, operation_id="read_all_notifications")
def read_all_notifications(request: HttpRequest) -> dict[str, int]:
    return {"marked": services.notification_mark_all_read(api_actor(request.user))}
