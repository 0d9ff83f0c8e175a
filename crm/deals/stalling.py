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
from django.db.models import Exists, OuterRef, Q
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from crm.activities.models import Activity
from crm.core import clock
from crm.core.actors import Actor
from crm.core.errors import PermissionDenied
from crm.deals.models import Deal, Stage, StageKind, StallReason
from crm.identity.models import User
from crm.notifications.models import NotificationKind
from crm.notifications.services import Notice, notify

SAMPLE = 5


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
        recent = Activity.objects.filter(customer_id=OuterRef("customer_id"), occurred_at__gte=since)
        conditions[StallReason.NO_FOLLOW_UP] = Q(stage_entered_at__lt=since) & ~Q(Exists(recent))
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


def _notice(deals: list[Deal], title: object) -> Notice:
    names = "、".join(deal.name for deal in deals[:SAMPLE])
    more = len(deals) - SAMPLE
    body = f"{names} …(+{more})" if more > 0 else names
    return Notice(kind=NotificationKind.STALLED_DEALS, title=title, body=body, url="/deals/list/?status=open&stalled=1")


def _tell_owners(now: dt.datetime) -> int:
    waiting = list(
        Deal.objects.filter(stalled_since__isnull=False, stall_owner_told_at__isnull=True)
        .select_related("owner")
        .order_by("owner_id", "stalled_since", "id")
    )
    by_owner: dict[int, list[Deal]] = defaultdict(list)
    for deal in waiting:
        by_owner[deal.owner_id].append(deal)
    for deals in by_owner.values():
        notify(
            [deals[0].owner],
            _notice(deals, format_lazy(_("{count} of your deals stalled"), count=len(deals))),
        )
    Deal.objects.filter(pk__in=[deal.pk for deal in waiting]).update(stall_owner_told_at=now)
    return len(by_owner)


def _tell_managers(now: dt.datetime) -> int:
    overdue = list(
        Deal.objects.filter(
            stalled_since__lt=now - dt.timedelta(days=manager_after_days()), stall_manager_told_at__isnull=True
        ).order_by("team_id", "stalled_since", "id")
    )
    by_team: dict[int, list[Deal]] = defaultdict(list)
    for deal in overdue:
        if deal.team_id is not None:
            by_team[deal.team_id].append(deal)
    managers = User.objects.filter(team_id__in=list(by_team), is_team_manager=True, is_active=True)
    told = 0
    for manager in managers:
        deals = by_team[manager.team_id or 0]
        notify(
            [manager],
            _notice(
                deals,
                format_lazy(_("{count} deals of your team have been stalled for days"), count=len(deals)),
            ),
        )
        told += 1
    Deal.objects.filter(pk__in=[deal.pk for deal in overdue]).update(stall_manager_told_at=now)
    return told
