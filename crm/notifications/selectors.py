"""Reads of a user's own inbox; nobody reads another user's notices."""

from __future__ import annotations

from django.db.models import QuerySet

from crm.core.pagination import Page, SortKey, paginate
from crm.identity.models import User
from crm.notifications.models import Notification

UNREAD_CAP = 99
INBOX_SORT = SortKey(field="created_at", descending=True)


def unread_count(user: User) -> int:
    """Capped so the badge query stays cheap however many notices pile up."""
    ids = Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).values("id")[: UNREAD_CAP + 1]
    return len(ids)


def inbox(user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient_id=user.pk)


def inbox_page(user: User, *, cursor: str | None, size: int = 30, unread_only: bool = False) -> Page[Notification]:
    rows = inbox(user)
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    return paginate(rows, sort=INBOX_SORT, cursor=cursor, size=size)
