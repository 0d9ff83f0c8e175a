"""Reminders (提醒) and the daily digest: in-app notices written once, however often the jobs run."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, Q
from django.utils import formats
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from crm.activities.models import Task, TaskStatus
from crm.core import clock
from crm.core.actors import Actor
from crm.core.errors import PermissionDenied
from crm.identity.models import User
from crm.notifications.models import Notification, NotificationKind
from crm.notifications.services import Notice, notify

REMINDER_BATCH = 500
DIGEST_TARGET = "activities.digest"


def _due_text(task: Task) -> str:
    day = formats.date_format(task.due_on, "Y-m-d")
    return f"{day} {task.due_time:%H:%M}" if task.due_time else day


def task_reminders_send(*, actor: Actor, moment: dt.datetime | None = None) -> list[Task]:
    """Ring every reminder that has fallen due, once: each task is claimed before it is notified.

    Runs as a system job. Returns the tasks reminded, for the caller to e-mail after commit.
    """
    if not actor.is_system:
        raise PermissionDenied(gettext("Only the scheduler sends reminders."))
    moment = moment or clock.now()
    with transaction.atomic():
        due = list(
            Task.objects.filter(status=TaskStatus.OPEN, reminded_at__isnull=True, remind_at__lte=moment)
            .select_related("owner")
            .order_by("remind_at", "id")[:REMINDER_BATCH]
        )
        # The claim: of two jobs that read the same rows, only one updates each (reminded_at IS NULL).
        claimed = [
            task for task in due if Task.objects.filter(pk=task.pk, reminded_at__isnull=True).update(reminded_at=moment)
        ]
        for task in claimed:
            notify(
                [task.owner],
                Notice(
                    kind=NotificationKind.TASK_REMINDER,
                    title=format_lazy(_("Reminder: {title}"), title=task.title),
                    body=format_lazy(_("Due {due}"), due=_due_text(task)),
                    url=f"/tasks/?focus={task.pk}",
                    target_type="activities.task",
                    target_id=task.pk,
                ),
            )
    return claimed


@dataclass
class Digest:
    user: User
    overdue: int
    today: int
    tasks: list[Task] = field(default_factory=list)


def daily_digest_send(*, actor: Actor, day: dt.date | None = None, sample: int = 20) -> list[Digest]:
    """Tell everyone with open tasks due by `day` how many are due today and overdue, once a day.

    The notice's target is the day (YYYYMMDD), so a second run on the same day finds it and skips.
    """
    if not actor.is_system:
        raise PermissionDenied(gettext("Only the scheduler sends the daily digest."))
    day = day or clock.today()
    day_key = int(day.strftime("%Y%m%d"))
    counts = (
        Task.objects.filter(status=TaskStatus.OPEN, due_on__lte=day, owner__is_active=True)
        .values("owner_id")
        .annotate(overdue=Count("id", filter=Q(due_on__lt=day)), today=Count("id", filter=Q(due_on=day)))
    )
    by_owner = {row["owner_id"]: row for row in counts}
    already = set(
        Notification.objects.filter(
            kind=NotificationKind.DAILY_DIGEST, target_type=DIGEST_TARGET, target_id=day_key
        ).values_list("recipient_id", flat=True)
    )
    owners = User.objects.filter(pk__in=set(by_owner) - already, is_active=True)
    digests = {
        user.pk: Digest(user=user, overdue=by_owner[user.pk]["overdue"], today=by_owner[user.pk]["today"])
        for user in owners
    }
    if not digests:
        return []
    samples: dict[int, list[Task]] = defaultdict(list)
    for task in (
        Task.objects.filter(status=TaskStatus.OPEN, due_on__lte=day, owner_id__in=list(digests))
        .select_related("customer")
        .order_by("owner_id", "due_on", "id")
    ):
        if len(samples[task.owner_id]) < sample:
            samples[task.owner_id].append(task)
    with transaction.atomic():
        for owner_id, digest in digests.items():
            digest.tasks = samples[owner_id]
            notify(
                [digest.user],
                Notice(
                    kind=NotificationKind.DAILY_DIGEST,
                    title=format_lazy(
                        _("Today: {today} tasks due, {overdue} overdue"), today=digest.today, overdue=digest.overdue
                    ),
                    url="/tasks/",
                    target_type=DIGEST_TARGET,
                    target_id=day_key,
                ),
            )
    return list(digests.values())
