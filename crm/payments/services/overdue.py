"""Overdue instalments: the owner is told on the due date, the team's manager after N days overdue.

Run by the scheduled job `notify_overdue_instalments` (config/schedule.py). Each instalment carries
the day its owner and its manager were told, so a second run the same day (or any later day) tells
nobody twice, and each recipient gets one notice per run listing all of their instalments.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from crm.core import clock
from crm.core.actors import Actor
from crm.core.errors import PermissionDenied
from crm.identity.models import Team, User
from crm.notifications.models import NotificationKind
from crm.notifications.services import Notice, notify
from crm.payments.models import RECEIVABLE_STATUSES, Instalment
from crm.payments.selectors import settings_get

SAMPLE = 5
LIST_URL = "/payments/instalments/?overdue=1"


@dataclass
class OverdueSummary:
    owners_told: int = 0
    managers_told: int = 0
    instalments: int = 0


@dataclass(frozen=True)
class _Due:
    id: int
    owner_id: int
    team_id: int | None
    label: str


def _open_due(**conditions: object) -> list[_Due]:
    rows = (
        Instalment.objects.filter(
            collected__lt=F("amount"),
            contract__status__in=RECEIVABLE_STATUSES,
            contract__deleted_at__isnull=True,
            **conditions,
        )
        .order_by("due_on", "id")
        .values_list("pk", "contract__owner_id", "contract__team_id", "contract__number", "number")
    )
    return [_Due(pk, owner, team, f"{number} #{n}") for pk, owner, team, number, n in rows]


def _body(items: list[_Due]) -> str:
    names = "、".join(item.label for item in items[:SAMPLE])
    more = len(items) - SAMPLE
    return f"{names} …(+{more})" if more > 0 else names


def instalments_notify_overdue(*, actor: Actor, today: dt.date | None = None) -> OverdueSummary:
    """Tell owners about instalments due today or earlier, and managers about those overdue N days."""
    if not actor.is_system:
        raise PermissionDenied(gettext("Only the scheduler sends overdue payment notices."))
    day = today or clock.today()
    summary = OverdueSummary()
    with transaction.atomic():
        owners_due = _open_due(due_on__lte=day, owner_told_on__isnull=True)
        by_owner: dict[int, list[_Due]] = defaultdict(list)
        for item in owners_due:
            by_owner[item.owner_id].append(item)
        for owner in User.objects.filter(pk__in=list(by_owner)):
            items = by_owner[owner.pk]
            notify(
                [owner],
                Notice(
                    kind=NotificationKind.INSTALMENT_OVERDUE,
                    title=format_lazy(_("{count} payment instalments are due or overdue"), count=len(items)),
                    body=_body(items),
                    url=LIST_URL,
                ),
            )
            summary.owners_told += 1
        Instalment.objects.filter(pk__in=[item.id for item in owners_due]).update(owner_told_on=day)

        after = settings_get().manager_overdue_days
        managers_due = _open_due(due_on__lte=day - dt.timedelta(days=after), manager_told_on__isnull=True)
        by_manager: dict[int, list[_Due]] = defaultdict(list)
        managers = _managers_of({item.team_id for item in managers_due if item.team_id is not None})
        for item in managers_due:
            for manager in managers.get(item.team_id or 0, []):
                by_manager[manager.pk].append(item)
        people = {manager.pk: manager for group in managers.values() for manager in group}
        for manager_id, items in by_manager.items():
            notify(
                [people[manager_id]],
                Notice(
                    kind=NotificationKind.INSTALMENT_OVERDUE,
                    title=format_lazy(
                        _("{count} payment instalments of your team are overdue by {days} days or more"),
                        count=len(items),
                        days=after,
                    ),
                    body=_body(items),
                    url=LIST_URL,
                ),
            )
            summary.managers_told += 1
        Instalment.objects.filter(pk__in=[item.id for item in managers_due]).update(manager_told_on=day)
        summary.instalments = len({item.id for item in owners_due} | {item.id for item in managers_due})
    return summary


def _managers_of(team_ids: set[int]) -> dict[int, list[User]]:
    """Each team's managers: those of the team itself, else of the nearest team above it that has one."""
    if not team_ids:
        return {}
    teams = {team.pk: team for team in Team.objects.filter(pk__in=team_ids)}
    ancestor_ids = {int(part) for team in teams.values() for part in team.path.strip("/").split("/") if part}
    managers: dict[int, list[User]] = defaultdict(list)
    for manager in User.objects.filter(team_id__in=ancestor_ids, is_team_manager=True, is_active=True).order_by("pk"):
        if manager.team_id is not None:
            managers[manager.team_id].append(manager)
    found: dict[int, list[User]] = {}
    for team_id, team in teams.items():
        chain = [int(part) for part in team.path.strip("/").split("/") if part]
        for ancestor in reversed(chain):
            if managers.get(ancestor):
                found[team_id] = managers[ancestor]
                break
    return found
