"""Reads of follow-ups, tasks and the customer timeline (follow-ups merged with the audit log)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.access.visibility import masks_contact_info, require_visible, scope_of, visible
from crm.activities.models import Activity, CalendarFeed, Task, TaskStatus
from crm.activities.timeline_sources import TimelineEvent, timeline_events
from crm.audit.labels import RelatedNames, related_names, value_label
from crm.audit.models import AuditEntry
from crm.audit.selectors import history_of
from crm.core.actors import Actor
from crm.core.errors import NotFound
from crm.core.pagination import Page, SortKey, paginate
from crm.core.phone import mask_email, mask_phone
from crm.customers.models import Contact, Customer
from crm.identity.models import User

OCCURRED = SortKey("occurred_at", descending=True)


def _visible_activities(viewer: Actor) -> QuerySet[Activity]:
    """Follow-ups of live customers the viewer may see (a binned customer takes its history along)."""
    live = Activity.objects.filter(customer__deleted_at__isnull=True)
    return visible(viewer, live, owner_field="customer__owner", team_field="customer__team")


@dataclass(frozen=True)
class ActivityFilters:
    customer_id: int | None = None
    contact_id: int | None = None
    owner_id: int | None = None
    kind: str = ""
    occurred_from: dt.date | None = None
    occurred_to: dt.date | None = None


def activity_list(*, viewer: Actor, filters: ActivityFilters) -> QuerySet[Activity]:
    activities = _visible_activities(viewer)
    if filters.customer_id:
        activities = activities.filter(customer_id=filters.customer_id)
    if filters.contact_id:
        activities = activities.filter(contact_id=filters.contact_id)
    if filters.owner_id:
        activities = activities.filter(owner_id=filters.owner_id)
    if filters.kind:
        activities = activities.filter(kind=filters.kind)
    if filters.occurred_from:
        start = timezone.make_aware(dt.datetime.combine(filters.occurred_from, dt.time.min))
        activities = activities.filter(occurred_at__gte=start)
    if filters.occurred_to:
        end = timezone.make_aware(dt.datetime.combine(filters.occurred_to + dt.timedelta(days=1), dt.time.min))
        activities = activities.filter(occurred_at__lt=end)
    return activities.select_related("customer", "contact", "owner")


def activity_page(*, viewer: Actor, filters: ActivityFilters, cursor: str | None, size: int) -> Page[Activity]:
    return paginate(activity_list(viewer=viewer, filters=filters), sort=OCCURRED, cursor=cursor, size=size)


def activity_get(*, viewer: Actor, activity_id: int) -> Activity:
    activity = (
        Activity.objects.select_related("customer", "contact", "owner")
        .filter(pk=activity_id, customer__deleted_at__isnull=True)
        .first()
    )
    if activity is None:
        raise NotFound(_("This record does not exist or you may not see it."))
    require_visible(viewer, activity.customer)
    return activity


@dataclass(frozen=True)
class TimelineItem:
    at: dt.datetime
    kind: str  # "activity", "change" or "event" (from another app's timeline source)
    activity: Activity | None = None
    entry: AuditEntry | None = None
    event: TimelineEvent | None = None
    changes: tuple[tuple[str, Any, Any], ...] = ()
    contact_name: str = ""  # the follow-up's contact, when the viewer may see that contact


_MODELS: dict[str, type[models.Model]] = {"customers.customer": Customer, "customers.contact": Contact}
_CONTACT_FIELDS = {"phone": mask_phone, "mobile": mask_phone, "email": mask_email}


def _shown_changes(
    entry: AuditEntry, *, masked: bool, names: RelatedNames | None = None
) -> tuple[tuple[str, Any, Any], ...]:
    """Field labels instead of code names; phone and email masked for viewers who see them masked."""
    model = _MODELS.get(entry.target_type)
    rows = []
    for field, old, new in entry.change_rows():
        label: Any = field
        if model is not None:
            try:
                label = getattr(model._meta.get_field(field), "verbose_name", field)
            except FieldDoesNotExist:
                label = field
        mask = _CONTACT_FIELDS.get(field) if masked else None
        if mask is not None:
            old = mask(str(old)) if old else old
            new = mask(str(new)) if new else new
        rows.append((str(label), value_label(model, field, old, names), value_label(model, field, new, names)))
    return tuple(rows)


def customer_timeline(
    *, viewer: Actor, customer: Any, limit: int = 100, before: dt.datetime | None = None
) -> list[TimelineItem]:
    """Follow-ups and every recorded change of the customer and its contacts, newest first: the
    newest `limit` of each kind, only those before `before` if given (see `timeline_page`)."""
    require_visible(viewer, customer)
    masked = masks_contact_info(viewer, owner_id=customer.owner_id)
    follow_ups = Activity.objects.filter(customer=customer)
    if before is not None:
        follow_ups = follow_ups.filter(occurred_at__lt=before)
    activities = list(follow_ups.select_related("contact", "owner").order_by("-occurred_at", "-id")[:limit])
    # Contacts have owners of their own (a handover moves only the customer): show only those the
    # viewer may see, masked by their own owner.
    contact_owners = dict(
        visible(viewer, Contact.all_objects.filter(customer=customer)).values_list("pk", "owner_id")[:500]
    )
    entries = history_of(target_type="customers.customer", target_ids=[customer.pk], limit=limit, before=before)
    contact_entries = history_of(
        target_type="customers.contact", target_ids=list(contact_owners), limit=limit, before=before
    )
    names = related_names((e.target_type, e.changes) for e in [*entries, *contact_entries])
    items = [
        TimelineItem(
            at=a.occurred_at,
            kind="activity",
            activity=a,
            contact_name=a.contact.name if a.contact is not None and a.contact_id in contact_owners else "",
        )
        for a in activities
    ]
    items += [
        TimelineItem(at=e.created_at, kind="change", entry=e, changes=_shown_changes(e, masked=masked, names=names))
        for e in entries
    ]
    items += [
        TimelineItem(
            at=e.created_at,
            kind="change",
            entry=e,
            changes=_shown_changes(
                e, masked=masks_contact_info(viewer, owner_id=contact_owners.get(e.target_id or 0)), names=names
            ),
        )
        for e in contact_entries
    ]
    items += [
        TimelineItem(at=event.at, kind="event", event=event)
        for event in timeline_events(viewer=viewer, customer=customer, limit=limit, before=before)
    ]
    items.sort(key=lambda item: item.at, reverse=True)
    return items[:limit]


def timeline_page(items: list[TimelineItem], size: int) -> tuple[list[TimelineItem], dt.datetime | None]:
    """The first `size` of `items` (asked for with a limit of size + 1) and where the next page starts.

    The next page asks for what happened before the last item shown, so items sharing that moment
    are all shown on this page rather than split across two, where the second would miss them.
    """
    if len(items) <= size:
        return items, None
    shown = items[:size]
    while len(shown) < len(items) and items[len(shown)].at == shown[-1].at:
        shown.append(items[len(shown)])
    return shown, shown[-1].at


# Tasks -----------------------------------------------------------------------------------------

TASK_BUCKETS = ("open", "overdue", "today", "upcoming", "done")
FEED_PAST_DAYS = 90
FEED_LIMIT = 2000


@dataclass(frozen=True)
class TaskFilters:
    bucket: str = "open"
    owner_id: int | None = None
    customer_id: int | None = None
    related_type: str = ""
    related_id: int | None = None


def _visible_tasks(viewer: Actor) -> QuerySet[Task]:
    """Tasks in the viewer's scope, except those about a customer they may no longer see.

    A customer handed to someone else (or binned) takes its tasks out of the old owner's lists,
    so no list shows the name of a customer its viewer may not open.
    """
    customer_visible = scope_of(viewer).q(owner_field="customer__owner", team_field="customer__team")
    return visible(viewer, Task.objects.all(), owner_field="owner", team_field="team").filter(
        Q(customer__isnull=True) | (customer_visible & Q(customer__deleted_at__isnull=True))
    )


def task_list(*, viewer: Actor, filters: TaskFilters) -> QuerySet[Task]:
    today = timezone.localdate()
    tasks = _visible_tasks(viewer)
    if filters.bucket == "done":
        tasks = tasks.filter(status=TaskStatus.DONE)
    else:
        tasks = tasks.filter(status=TaskStatus.OPEN)
        if filters.bucket == "overdue":
            tasks = tasks.filter(due_on__lt=today)
        elif filters.bucket == "today":
            tasks = tasks.filter(due_on=today)
        elif filters.bucket == "upcoming":
            tasks = tasks.filter(due_on__gt=today)
    if filters.owner_id is not None:
        tasks = tasks.filter(owner_id=filters.owner_id)
    if filters.customer_id is not None:
        tasks = tasks.filter(customer_id=filters.customer_id)
    if filters.related_type:
        tasks = tasks.filter(related_type=filters.related_type, related_id=filters.related_id)
    return tasks


def task_page(*, viewer: Actor, filters: TaskFilters, cursor: str | None, size: int = 25) -> Page[Task]:
    """Open tasks soonest first; done tasks most recently due first."""
    sort = SortKey("due_on", descending=filters.bucket == "done")
    rows = task_list(viewer=viewer, filters=filters).select_related("owner", "customer", "contact")
    return paginate(rows, sort=sort, cursor=cursor, size=size)


def task_get(*, viewer: Actor, task_id: int) -> Task:
    task = _visible_tasks(viewer).select_related("owner", "customer", "contact").filter(pk=task_id).first()
    if task is None:
        raise NotFound(_("This record does not exist or you may not see it."))
    return task


@dataclass(frozen=True)
class DueTasks:
    overdue: list[Task]
    today: list[Task]


def tasks_due(*, viewer: Actor, limit: int = 50) -> DueTasks:
    """The viewer's own open tasks due today or overdue, for the home page.

    Two capped queries, so a long overdue backlog never pushes today's tasks off the page.
    """
    if viewer.user_id is None:
        return DueTasks(overdue=[], today=[])
    today = timezone.localdate()
    mine = (
        _visible_tasks(viewer)
        .filter(owner_id=viewer.user_id, status=TaskStatus.OPEN)
        .select_related("customer", "contact")
        .order_by("due_on", "due_time", "id")
    )
    return DueTasks(
        overdue=list(mine.filter(due_on__lt=today)[:limit]),
        today=list(mine.filter(due_on=today)[:limit]),
    )


def calendar_feed_owner(token_hash: str) -> User | None:
    """The active user whose calendar address carries this token, if any."""
    feed = CalendarFeed.objects.select_related("user").filter(token_hash=token_hash).first()
    if feed is None or not feed.user.is_active:
        return None
    return feed.user


def calendar_feed_exists(user: User) -> bool:
    return CalendarFeed.objects.filter(user=user).exists()


def calendar_tasks(user: User) -> list[Task]:
    """What a user's calendar app shows: their open tasks, from three months back onwards."""
    since = timezone.localdate() - dt.timedelta(days=FEED_PAST_DAYS)
    return list(
        Task.objects.filter(owner=user, status=TaskStatus.OPEN, due_on__gte=since)
        .select_related("customer")
        .order_by("due_on", "id")[:FEED_LIMIT]
    )
