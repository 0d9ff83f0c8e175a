"""Every write to the inbox: deliver notices and mark them read."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils import translation

from crm.core.actors import Actor
from crm.core.clock import now
from crm.identity.models import User
from crm.notifications.models import Notification, NotificationKind


@dataclass(frozen=True)
class Notice:
    """What to tell; `title`/`body` are called in each recipient's language."""

    kind: NotificationKind
    title: object
    body: object = ""
    url: str = ""
    target_type: str = ""
    target_id: int | None = None


def notify(recipients: Iterable[User], notice: Notice) -> list[Notification]:
    """Deliver one notice to each active recipient, rendered in their own language.

    Lazy translation strings (`gettext_lazy`, `format_lazy`) in the notice are rendered once per
    language, so a Chinese manager and an English rep each read it in theirs.
    """
    rows: list[Notification] = []
    seen: set[int] = set()
    for user in recipients:
        if user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        with translation.override(user.language or None):
            rows.append(
                Notification(
                    recipient_id=user.pk,
                    kind=notice.kind,
                    title=str(notice.title)[:200],
                    body=str(notice.body),
                    url=notice.url[:500],
                    target_type=notice.target_type,
                    target_id=notice.target_id,
                )
            )
    return Notification.objects.bulk_create(rows)


def notification_mark_read(actor: Actor, notification_id: int) -> int:
    """Mark one of the actor's own notices read; another user's notice is simply not found."""
    return Notification.objects.filter(pk=notification_id, recipient_id=actor.user_id, read_at__isnull=True).update(
        read_at=now()
    )


def notification_mark_all_read(actor: Actor) -> int:
    return Notification.objects.filter(recipient_id=actor.user_id, read_at__isnull=True).update(read_at=now())
