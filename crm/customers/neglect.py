"""Neglected customers (久未跟进): no follow-up for more days than their grade allows.

The check runs as the scheduled job `flag_neglected_customers` (config/schedule.py) and mirrors the
stalled-deal check (crm/deals/stalling.py): the flags live in their own narrow table (`NeglectFlag`),
written set-based (one INSERT … SELECT per grade, one DELETE for the recovered), and the "told" marks
guard the notices, so a second run changes nothing and tells nobody twice. Owners are told when a
customer is flagged (a new owner again after a handover), their team's managers once it has stayed
flagged for `manager_after_days` more days.

`Customer.last_follow_up_at` is kept by the activities services, which sit above this app; whenever
they change it they call `customers_neglect_recheck`, so a new follow-up clears the flag at once.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils.text import capfirst, format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from crm.audit.models import Verb
from crm.audit.services import audit_record, diff, snapshot
from crm.core import clock
from crm.core.actors import Actor
from crm.core.errors import FieldError, PermissionDenied, ValidationFailed
from crm.core.set_writes import delete_selected, insert_selected
from crm.customers.models import Customer, Grade, NeglectFlag, NeglectSettings
from crm.identity.models import User
from crm.identity.rights import can_manage_org
from crm.notifications.models import NotificationKind
from crm.notifications.services import Notice, notify

SAMPLE = 5
CHUNK = 5000
MAX_DAYS = 3650
DAY_FIELDS = ["default_days", "grade_a_days", "grade_b_days", "grade_c_days", "grade_d_days"]
SETTINGS_FIELDS = [*DAY_FIELDS, "manager_after_days"]
LIST_URL = "/customers/?neglected=1"


# Settings ---------------------------------------------------------------------------------------


def neglect_settings_get() -> NeglectSettings:
    """The saved settings, or the defaults when an administrator never saved any."""
    return NeglectSettings.objects.order_by("id").first() or NeglectSettings()


def _clean_days(values: dict[str, Any]) -> dict[str, int | None]:
    cleaned: dict[str, int | None] = {}
    errors: list[FieldError] = []
    for name in SETTINGS_FIELDS:
        raw = values.get(name)
        label = capfirst(str(getattr(NeglectSettings._meta.get_field(name), "verbose_name", name)))
        if raw in (None, "") and name != "manager_after_days":
            cleaned[name] = None
            continue
        try:
            number = int(str(raw).strip())
        except ValueError:
            number = 0
        if not 1 <= number <= MAX_DAYS:
            message = gettext("%(field)s: enter a whole number of days from 1 to %(max)d.") % {
                "field": label,
                "max": MAX_DAYS,
            }
            errors.append(FieldError(field=name, message=message))
            continue
        cleaned[name] = number
    if errors:
        raise ValidationFailed(gettext("Please correct the highlighted fields."), errors=errors)
    return cleaned


def neglect_settings_save(*, actor: Actor, values: dict[str, Any]) -> NeglectSettings:
    """Save the thresholds (administrators only); the next check uses them."""
    if not can_manage_org(actor):
        raise PermissionDenied(gettext("Only administrators may change these settings."))
    cleaned = _clean_days(values)
    with transaction.atomic():
        current = NeglectSettings.objects.select_for_update().order_by("id").first() or NeglectSettings()
        before = snapshot(current, SETTINGS_FIELDS) if current.pk else {}
        for name, value in cleaned.items():
            setattr(current, name, value)
        current.updated_at = clock.now()
        current.save()
        changes = diff(before, snapshot(current, SETTINGS_FIELDS))
        if changes:
            audit_record(actor=actor, verb=Verb.UPDATE, target=current, changes=changes)
    return current


# The check -------------------------------------------------------------------------------------


@dataclass
class NeglectSummary:
    flagged: int = 0
    cleared: int = 0
    owners_told: int = 0
    managers_told: int = 0


def _grade_conditions(settings: NeglectSettings, now: dt.datetime) -> list[Q]:
    """One condition per grade with a threshold: its last follow-up (or creation) is older than the cutoff."""
    conditions = []
    for grade in ["", *Grade.values]:
        days = settings.days_for(grade)
        if days is None:
            continue
        cutoff = now - dt.timedelta(days=days)
        quiet = Q(last_follow_up_at__lt=cutoff) | Q(last_follow_up_at__isnull=True, created_at__lt=cutoff)
        conditions.append(Q(grade=grade) & quiet)
    return conditions


def _apply(customers: QuerySet[Customer], settings: NeglectSettings, now: dt.datetime) -> tuple[int, int]:
    """Flag the newly neglected among `customers` and clear the recovered ones: (flagged, cleared).

    One INSERT … SELECT per grade and one DELETE: the customer rows themselves are not written.
    """
    conditions = _grade_conditions(settings, now)
    since = connection.ops.adapt_datetimefield_value(now)
    flagged = 0
    any_condition = Q(pk__in=[])
    for condition in conditions:
        any_condition |= condition
        # Customers flagged already are skipped (they keep their first `since`).
        flagged += insert_selected(
            NeglectFlag,
            "customer_id",
            customers.filter(condition),
            {"since": since, "owner_told_at": None, "manager_told_at": None},
        )
    recovered = customers.filter(Exists(NeglectFlag.objects.filter(customer=OuterRef("pk")))).exclude(any_condition)
    cleared = delete_selected(NeglectFlag, "customer_id", recovered)
    return flagged, cleared


def customers_neglect_recheck(*, customer_ids: Iterable[int], moment: dt.datetime | None = None) -> None:
    """Re-evaluate these customers after their follow-ups or grade changed (a follow-up logged, deleted,
    moved; a new grade with another threshold).

    Called by the services in their transaction: a new follow-up clears the flag at once, deleting
    the only recent one raises it again; the scheduled check tells the people.
    """
    ids = sorted(set(customer_ids))
    settings = neglect_settings_get()
    now = moment or clock.now()
    for start in range(0, len(ids), CHUNK):
        _apply(Customer.objects.filter(pk__in=ids[start : start + CHUNK]), settings, now)


def customers_neglect_owner_changed(*, customer_ids: Iterable[int]) -> None:
    """After a handover the new owner has not been told about an already flagged customer: the next
    check tells them (and only them; the managers' mark stays, the team's managers were told)."""
    ids = sorted(set(customer_ids))
    for start in range(0, len(ids), CHUNK):
        NeglectFlag.objects.filter(customer_id__in=ids[start : start + CHUNK]).update(owner_told_at=None)


def customers_flag_neglected(*, actor: Actor, moment: dt.datetime | None = None) -> NeglectSummary:
    """Flag newly neglected customers, clear recovered ones, and tell owners and (later) managers once."""
    if not actor.is_system:
        raise PermissionDenied(gettext("Only the scheduler flags neglected customers."))
    now = moment or clock.now()
    settings = neglect_settings_get()
    summary = NeglectSummary()
    with transaction.atomic():
        summary.flagged, summary.cleared = _apply(Customer.objects.all(), settings, now)
        summary.owners_told = _tell_owners(now)
        summary.managers_told = _tell_managers(now, settings)
    return summary


def _notice(names: list[str], count: int, title: object, url: str) -> Notice:
    body = "、".join(names[:SAMPLE])
    if count > SAMPLE:
        body = f"{body} …(+{count - SAMPLE})"
    return Notice(kind=NotificationKind.NEGLECTED_CUSTOMERS, title=title, body=body, url=url)


def _groups(customers: QuerySet[Customer], group: str) -> tuple[dict[int, int], dict[int, list[str]]]:
    """Count per `group` (owner_id or team_id) and its first names in list order, computed by the
    database: two small result sets instead of every flagged row streamed into Python."""
    counts = {
        key: count
        for key, count in customers.order_by().values_list(group).annotate(count=Count("pk"))
        if key is not None
    }
    ranked = customers.annotate(
        rank=Window(RowNumber(), partition_by=[F(group)], order_by=[F("created_at").asc(), F("id").asc()])
    ).filter(rank__lte=SAMPLE)
    names: dict[int, list[str]] = defaultdict(list)
    for key, name, _rank in ranked.order_by(group, "created_at", "id").values_list(group, "name", "rank"):
        if key is not None:
            names[key].append(name)
    return counts, names


def _tell_owners(now: dt.datetime) -> int:
    untold = NeglectFlag.objects.filter(owner_told_at__isnull=True)
    waiting = Customer.objects.filter(Exists(untold.filter(customer=OuterRef("pk"))))
    counts, names = _groups(waiting, "owner_id")
    owners = list(User.objects.filter(pk__in=list(counts), is_active=True))
    for owner in owners:
        count = counts[owner.pk]
        title = format_lazy(_("{count} of your customers have had no follow-up for too long"), count=count)
        notify([owner], _notice(names[owner.pk], count, title, LIST_URL))
    # Deleted customers keep their flag (as they keep their other columns) but nobody hears about them.
    untold.filter(customer__in=Customer.objects.all()).update(owner_told_at=now)
    return len(owners)


def _tell_managers(now: dt.datetime, settings: NeglectSettings) -> int:
    overdue = NeglectFlag.objects.filter(
        since__lt=now - dt.timedelta(days=settings.manager_after_days), manager_told_at__isnull=True
    )
    counts, names = _groups(Customer.objects.filter(Exists(overdue.filter(customer=OuterRef("pk")))), "team_id")
    managers = User.objects.filter(team_id__in=list(counts), is_team_manager=True, is_active=True)
    told = 0
    for manager in managers:
        team_id = manager.team_id or 0
        count = counts[team_id]
        title = format_lazy(_("{count} customers of your team have had no follow-up for days"), count=count)
        notify([manager], _notice(names[team_id], count, title, f"{LIST_URL}&team={team_id}"))
        told += 1
    overdue.filter(customer__in=Customer.objects.all()).update(manager_told_at=now)
    return told


def days_without_follow_up(customer: Customer, now: dt.datetime | None = None) -> int:
    """Whole days since the last follow-up (or since the customer was created, if none yet)."""
    since = customer.last_follow_up_at or customer.created_at
    return max(0, ((now or clock.now()) - since).days)
