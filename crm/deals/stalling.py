"""Stalled deals (停滞商机): flagged when too long in their stage or without follow-up; owners, then
managers, are told.

Run by the scheduled job `flag_stalled_deals` (config/schedule.py). The flags live in their own narrow
table (`DealStall`), written set-based per stage (INSERT … SELECT, DELETE … IN (SELECT …)), and the
"told" marks guard the notices, so running it again changes nothing and tells nobody twice.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from crm.core import clock
from crm.core.actors import Actor
from crm.core.errors import PermissionDenied
from crm.core.set_writes import delete_selected, insert_selected
from crm.deals.models import Deal, DealStall, Stage, StageKind, StallReason
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
    since = connection.ops.adapt_datetimefield_value(now)
    flagged = Exists(DealStall.objects.filter(deal=OuterRef("pk")))
    summary = StallSummary()
    with transaction.atomic():
        summary.cleared += delete_selected(
            DealStall, "deal_id", Deal.objects.filter(flagged).exclude(stage__kind=StageKind.OPEN)
        )
        for stage in Stage.objects.filter(kind=StageKind.OPEN):
            conditions = _conditions(stage, now)
            in_stage = Deal.objects.filter(stage=stage)
            any_condition = Q(pk__in=[])
            # One INSERT … SELECT per reason (the first that holds wins: a flagged deal is skipped)
            # and one DELETE: the deal rows themselves are not written, so none of their indexes is.
            for reason, condition in conditions.items():
                any_condition |= condition
                summary.flagged += insert_selected(
                    DealStall,
                    "deal_id",
                    in_stage.filter(condition),
                    {"since": since, "reason": reason, "owner_told_at": None, "manager_told_at": None},
                )
            summary.cleared += delete_selected(DealStall, "deal_id", in_stage.filter(flagged).exclude(any_condition))
        summary.owners_told = _tell_owners(now)
        summary.managers_told = _tell_managers(now)
    return summary


def _notice(names: list[str], count: int, title: object) -> Notice:
    body = "、".join(names[:SAMPLE])
    if count > SAMPLE:
        body = f"{body} …(+{count - SAMPLE})"
    return Notice(kind=NotificationKind.STALLED_DEALS, title=title, body=body, url="/deals/list/?status=open&stalled=1")


def _groups(deals: QuerySet[Deal], group: str) -> tuple[dict[int, int], dict[int, list[str]]]:
    """Count per `group` (owner_id or team_id) and its first names, longest stalled first, computed by
    the database: two small result sets instead of every flagged deal streamed into Python."""
    counts = {key: count for key, count in deals.order_by().values_list(group).annotate(count=Count("pk")) if key}
    order = [F("stall__since").asc(), F("id").asc()]
    ranked = deals.annotate(rank=Window(RowNumber(), partition_by=[F(group)], order_by=order))
    names: dict[int, list[str]] = defaultdict(list)
    rows = ranked.filter(rank__lte=SAMPLE).order_by(group, "stall__since", "id").values_list(group, "name", "rank")
    for key, name, _rank in rows:
        if key is not None:
            names[key].append(name)
    return counts, names


def _tell_owners(now: dt.datetime) -> int:
    untold = DealStall.objects.filter(owner_told_at__isnull=True)
    counts, names = _groups(Deal.objects.filter(stall__in=untold), "owner_id")
    owners = list(User.objects.filter(pk__in=list(counts)))
    for owner in owners:
        title = format_lazy(_("{count} of your deals stalled"), count=counts[owner.pk])
        notify([owner], _notice(names[owner.pk], counts[owner.pk], title))
    # Deleted deals keep their flag (as they keep their other columns) but nobody hears about them.
    untold.filter(deal__in=Deal.objects.all()).update(owner_told_at=now)
    return len(owners)


def _tell_managers(now: dt.datetime) -> int:
    overdue = DealStall.objects.filter(
        since__lt=now - dt.timedelta(days=manager_after_days()), manager_told_at__isnull=True
    )
    counts, names = _groups(Deal.objects.filter(stall__in=overdue), "team_id")
    managers = User.objects.filter(team_id__in=list(counts), is_team_manager=True, is_active=True)
    told = 0
    for manager in managers:
        team_id = manager.team_id or 0
        title = format_lazy(_("{count} deals of your team have been stalled for days"), count=counts[team_id])
        notify([manager], _notice(names[team_id], counts[team_id], title))
        told += 1
    overdue.filter(deal__in=Deal.objects.all()).update(manager_told_at=now)
    return told
