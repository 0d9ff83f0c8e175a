"""Stalled deals (停滞商机): flagged when too long in their stage or without follow-up; owners, then
managers, are told.

Run by the scheduled job `flag_stalled_deals` (config/schedule.py). Every step is a bulk UPDATE per
stage guarded by the flag columns, so running it again changes nothing and tells nobody twice.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from crm.core import clock
from crm.core.actors import Actor
from crm.core.errors import PermissionDenied
from crm.deals.models import Deal, Stage, StageKind, StallReason
from crm.identity.models import User
from crm.notifications.models import NotificationKind
from crm.notifications.services import Notice, notify

SAMPLE = 5
CHUNK = 5000


def manager_after_days() -> int:
    """Days a deal stays stalled before the owner's managers are told as well."""
    return int(getattr(settings, "CRM_STALLED_MANAGER_AFTER_DAYS", 3))


@dataclass
class StallSummary:
    flagged: int = 0
    cleared: int = 0
    owners_told: int = 0
    managers_told: int = 0


def _conditions(stage: Stage, now: dt.datetime) -> dict[str, Q]:
    conditions: dict[str, Q] = {}
    if stage.expected_days:
        conditions[StallReason.STAGE_OVERDUE] = Q(stage_entered_at__lt=now - dt.timedelta(days=stage.expected_days))
    if stage.follow_up_days:
        since = now - dt.timedelta(days=stage.follow_up_days)
        # The customer's last follow-up time (kept by the activities services) rather than an EXISTS
        # over the follow-ups: one row per deal instead of an index probe into 10 M follow-ups.
        conditions[StallReason.NO_FOLLOW_UP] = Q(stage_entered_at__lt=since) & ~Q(
            customer__last_follow_up_at__gte=since
        )
    return conditions


def deals_flag_stalled(*, actor: Actor, moment: dt.datetime | None = None) -> StallSummary:
    """Flag newly stalled deals, clear recovered ones, and tell owners and (later) managers once."""
    if not actor.is_system:
        raise PermissionDenied(gettext("Only the scheduler flags stalled deals."))
    now = moment or clock.now()
    summary = StallSummary()
    with transaction.atomic():
        summary.cleared += (
            Deal.objects.filter(stalled_since__isnull=False)
            .exclude(stage__kind=StageKind.OPEN)
            .update(stalled_since=None, stall_reason="", stall_owner_told_at=None, stall_manager_told_at=None)
        )
        for stage in Stage.objects.filter(kind=StageKind.OPEN):
            conditions = _conditions(stage, now)
            in_stage = Deal.objects.filter(stage=stage)
            any_condition = Q(pk__in=[])
            for reason, condition in conditions.items():
                any_condition |= condition
                summary.flagged += in_stage.filter(condition, stalled_since__isnull=True).update(
                    stalled_since=now, stall_reason=reason
                )
            summary.cleared += (
                in_stage.filter(stalled_since__isnull=False)
                .exclude(any_condition)
                .update(stalled_since=None, stall_reason="", stall_owner_told_at=None, stall_manager_told_at=None)
            )
        summary.owners_told = _tell_owners(now)
        summary.managers_told = _tell_managers(now)
    return summary


def _notice(names: list[str], count: int, title: object) -> Notice:
    body = "、".join(names[:SAMPLE])
    if count > SAMPLE:
        body = f"{body} …(+{count - SAMPLE})"
    return Notice(kind=NotificationKind.STALLED_DEALS, title=title, body=body, url="/deals/list/?status=open&stalled=1")


def _mark(ids: list[int], **told: dt.datetime) -> None:
    # In chunks: one IN list of a million ids is past what SQLite accepts as parameters.
    for start in range(0, len(ids), CHUNK):
        Deal.objects.filter(pk__in=ids[start : start + CHUNK]).update(**told)


def _grouped(rows: object) -> tuple[list[int], dict[int, int], dict[int, list[str]]]:
    """Ids, count per group and the first names per group, from (id, group, name) rows streamed in order."""
    ids: list[int] = []
    counts: dict[int, int] = defaultdict(int)
    names: dict[int, list[str]] = defaultdict(list)
    for pk, group, name in rows:  # type: ignore[attr-defined]
        ids.append(pk)
        if group is None:
            continue
        counts[group] += 1
        if counts[group] <= SAMPLE:
            names[group].append(name)
    return ids, counts, names


def _tell_owners(now: dt.datetime) -> int:
    waiting = (
        Deal.objects.filter(stalled_since__isnull=False, stall_owner_told_at__isnull=True)
        .order_by("owner_id", "stalled_since", "id")
        .values_list("pk", "owner_id", "name")
    )
    ids, counts, names = _grouped(waiting.iterator(chunk_size=CHUNK))
    owners = list(User.objects.filter(pk__in=list(counts)))
    for owner in owners:
        title = format_lazy(_("{count} of your deals stalled"), count=counts[owner.pk])
        notify([owner], _notice(names[owner.pk], counts[owner.pk], title))
    _mark(ids, stall_owner_told_at=now)
    return len(owners)


def _tell_managers(now: dt.datetime) -> int:
    overdue = (
        Deal.objects.filter(
            stalled_since__lt=now - dt.timedelta(days=manager_after_days()), stall_manager_told_at__isnull=True
        )
        .order_by("team_id", "stalled_since", "id")
        .values_list("pk", "team_id", "name")
    )
    ids, counts, names = _grouped(overdue.iterator(chunk_size=CHUNK))
    managers = User.objects.filter(team_id__in=list(counts), is_team_manager=True, is_active=True)
    told = 0
    for manager in managers:
        team_id = manager.team_id or 0
        title = format_lazy(_("{count} deals of your team have been stalled for days"), count=counts[team_id])
        notify([manager], _notice(names[team_id], counts[team_id], title))
        told += 1
    _mark(ids, stall_manager_told_at=now)
    return told
