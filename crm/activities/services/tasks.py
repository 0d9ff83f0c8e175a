"""Every write to tasks (任务) and calendar feeds.

A rep plans their own tasks; a manager may give a task to anyone whose records they may change
(their teams' people). A task about a customer needs a customer the actor can see.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

from django.apps import apps
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_datetime, parse_time
from django.utils.translation import gettext as _

from crm.access.visibility import can_change, require_visible
from crm.activities.models import Activity, CalendarFeed, Task, TaskStatus
from crm.audit.models import Verb
from crm.audit.services import audit_record, diff, save_versioned, snapshot
from crm.core import clock
from crm.core.actors import Actor
from crm.core.errors import FieldError, NotFound, PermissionDenied, ValidationFailed
from crm.customers.models import Contact, Customer
from crm.identity.models import User
from crm.identity.rights import user_of
from crm.identity.services import hash_token

TASK_FIELDS = [
    "title",
    "notes",
    "due_on",
    "due_time",
    "remind_at",
    "status",
    "owner",
    "customer",
    "contact",
    "related_type",
    "related_id",
]
FEED_TOKEN_PREFIX = "cal_"  # noqa: S105  (a prefix that marks calendar secrets, not a secret)


def _date(raw: Any) -> dt.date | None:
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    try:
        return dt.date.fromisoformat(str(raw))
    except ValueError:
        return None


def _clean(values: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    errors: list[FieldError] = []

    def fail(field: str, message: str) -> None:
        errors.append(FieldError(field=field, message=message))

    if "title" in values or not partial:
        title = str(values.get("title") or "").strip()
        if not title:
            fail("title", _("Say what needs doing."))
        elif len(title) > 200:
            fail("title", _("Use at most %(max)d characters.") % {"max": 200})
        cleaned["title"] = title
    if "notes" in values:
        notes = str(values.get("notes") or "").strip()
        if len(notes) > 10000:
            fail("notes", _("Use at most %(max)d characters.") % {"max": 10000})
        cleaned["notes"] = notes
    if "due_on" in values or not partial:
        due_on = _date(values.get("due_on")) if values.get("due_on") not in (None, "") else None
        if due_on is None:
            fail("due_on", _("Enter a due date as YYYY-MM-DD."))
        cleaned["due_on"] = due_on
    if "due_time" in values:
        raw = values.get("due_time")
        if raw in (None, ""):
            cleaned["due_time"] = None
        elif isinstance(raw, dt.time):
            cleaned["due_time"] = raw
        else:
            try:
                parsed_time = parse_time(str(raw))
            except ValueError:
                parsed_time = None
            if parsed_time is None:
                fail("due_time", _("Enter a time as HH:MM."))
            cleaned["due_time"] = parsed_time
    if "remind_at" in values:
        raw = values.get("remind_at")
        if raw in (None, ""):
            cleaned["remind_at"] = None
        else:
            try:
                moment = raw if isinstance(raw, dt.datetime) else parse_datetime(str(raw))
            except ValueError:
                moment = None
            if moment is None:
                fail("remind_at", _("Enter a date and time."))
            else:
                cleaned["remind_at"] = timezone.make_aware(moment) if timezone.is_naive(moment) else moment
    if "related_type" in values or "related_id" in values:
        related_type = str(values.get("related_type") or "").strip()
        related_id = values.get("related_id")
        if not related_type and related_id in (None, ""):
            cleaned["related_type"], cleaned["related_id"] = "", None
        else:
            try:
                apps.get_model(related_type)
                cleaned["related_type"], cleaned["related_id"] = related_type.lower(), int(str(related_id))
            except (LookupError, ValueError, TypeError):
                fail("related_id", _("Link the task to an existing kind of record."))
    if errors:
        raise ValidationFailed(_("Please correct the highlighted fields."), errors=errors)
    return cleaned


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, errors=[FieldError(field=field, message=message)])


def _assignee(actor: Actor, owner_id: Any) -> User:
    """The task's owner: the actor by default; someone else only if the actor may manage their work."""
    acting = user_of(actor)
    if owner_id in (None, ""):
        if acting is None:
            raise _invalid("owner", _("Choose an owner."))
        return acting
    try:
        owner = User.objects.filter(pk=int(owner_id), is_active=True).first()
    except (TypeError, ValueError):
        owner = None
    if owner is None:
        raise _invalid("owner", _("Choose an active user as the owner."))
    if acting is not None and owner.pk == acting.pk:
        return owner
    if not can_change(actor, SimpleNamespace(owner_id=owner.pk, team_id=owner.team_id)):
        raise _invalid("owner", _("You may only give tasks to people in the teams you manage."))
    return owner


def _links(actor: Actor, values: dict[str, Any]) -> dict[str, Any]:
    """The customer and contact a task is about, both visible to the actor and belonging together."""
    links: dict[str, Any] = {}
    customer: Customer | None = None
    if "customer_id" in values:
        raw = values.get("customer_id")
        if raw not in (None, ""):
            try:
                customer = Customer.objects.filter(pk=int(str(raw))).first()
            except (TypeError, ValueError):
                customer = None
            try:
                customer = require_visible(actor, customer)
            except NotFound as exc:
                raise _invalid("customer", _("Choose a customer you can see.")) from exc
        links["customer"] = customer
    if "contact_id" in values:
        raw = values.get("contact_id")
        contact: Contact | None = None
        if raw not in (None, ""):
            try:
                contact = Contact.objects.filter(pk=int(str(raw))).first()
            except (TypeError, ValueError):
                contact = None
            try:
                contact = require_visible(actor, contact)
            except NotFound as exc:
                raise _invalid("contact", _("Choose a contact you can see.")) from exc
            if customer is None and "customer_id" not in values and contact.customer_id is not None:
                links["customer"] = contact.customer
            elif customer is not None and contact.customer_id != customer.pk:
                raise _invalid("contact", _("Choose one of this customer's contacts."))
        links["contact"] = contact
    return links


def task_create(*, actor: Actor, values: dict[str, Any]) -> Task:
    cleaned = _clean(values, partial=False)
    with transaction.atomic():
        owner = _assignee(actor, values.get("owner_id"))
        task = Task(
            **cleaned,
            **_links(actor, values),
            owner=owner,
            team_id=owner.team_id,
            created_by_id=actor.user_id,
            external_id=(str(values.get("external_id") or "").strip() or None),
        )
        task.save()
        audit_record(actor=actor, verb=Verb.CREATE, target=task, changes=diff({}, snapshot(task, TASK_FIELDS)))
    return task


def _editable(actor: Actor, task_id: int) -> Task:
    task = require_visible(actor, Task.objects.filter(pk=task_id).first())
    if not can_change(actor, task):
        raise PermissionDenied(_("Only the task's owner or their manager may change it."))
    return task


def task_update(*, actor: Actor, task_id: int, version: int, values: dict[str, Any]) -> Task:
    cleaned = _clean(values, partial=True)
    cleaned.pop("status", None)  # status moves only through complete / reopen
    with transaction.atomic():
        task = _editable(actor, task_id)
        links = _links(actor, values)
        if "owner_id" in values and values["owner_id"] not in (None, ""):
            owner = _assignee(actor, values["owner_id"])
            links["owner"], links["team_id"] = owner, owner.team_id
        fields = [field for field in TASK_FIELDS if field in cleaned or field in links]
        before = snapshot(task, fields)
        for key, value in {**cleaned, **links}.items():
            setattr(task, key, value)
        if "remind_at" in cleaned:
            task.reminded_at = None  # a new reminder time rings again
            fields_extra = {"reminded_at": None}
        else:
            fields_extra = {}
        save_versioned(
            actor=actor,
            instance=task,
            expected_version=version,
            before=before,
            after=snapshot(task, fields),
            extra_columns={**fields_extra, **({"team_id": task.team_id} if "owner" in links else {})},
        )
    return task


def _set_status(actor: Actor, task: Task, status: TaskStatus) -> Task:
    if task.status == status:
        return task
    before = task.status
    now = clock.now() if status == TaskStatus.DONE else None
    Task.objects.filter(pk=task.pk).update(status=status, done_at=now, updated_at=clock.now())
    task.status, task.done_at = status, now
    audit_record(actor=actor, verb=Verb.UPDATE, target=task, changes={"status": [before, str(status)]})
    return task


def task_complete(*, actor: Actor, task_id: int) -> Task:
    """Tick a task off; a planned next contact ticked off here is settled on its follow-up too."""
    with transaction.atomic():
        task = _set_status(actor, _editable(actor, task_id), TaskStatus.DONE)
        if task.source_activity_id is not None:
            Activity.objects.filter(pk=task.source_activity_id, is_next_contact_done=False).update(
                is_next_contact_done=True
            )
    return task


def task_reopen(*, actor: Actor, task_id: int) -> Task:
    with transaction.atomic():
        return _set_status(actor, _editable(actor, task_id), TaskStatus.OPEN)


def task_delete(*, actor: Actor, task_id: int) -> Task:
    with transaction.atomic():
        task = _editable(actor, task_id)
        now = clock.now()
        Task.all_objects.filter(pk=task.pk).update(deleted_at=now)
        task.deleted_at = now
        audit_record(actor=actor, verb=Verb.DELETE, target=task)
    return task


def planned_contact_sync(activity: Activity) -> None:
    """Keep the task a follow-up planned ("next step / next contact date") in line with it.

    Called by the follow-up services inside their transaction.
    """
    open_tasks = Task.objects.filter(source_activity=activity, status=TaskStatus.OPEN)
    if activity.next_contact_on is None or activity.is_next_contact_done:
        open_tasks.update(status=TaskStatus.CANCELLED, updated_at=clock.now())
        return
    title = (activity.next_step or activity.content)[:200]
    if open_tasks.update(title=title, due_on=activity.next_contact_on, updated_at=clock.now()) == 0:
        Task.objects.create(
            title=title,
            due_on=activity.next_contact_on,
            owner_id=activity.owner_id,
            team_id=activity.team_id,
            created_by_id=activity.owner_id,
            customer_id=activity.customer_id,
            contact_id=activity.contact_id,
            source_activity=activity,
        )


def planned_contacts_settle(*, customer_id: int, through: dt.date, keep: Activity | None = None) -> None:
    """A follow-up logged on `through` settles the customer's planned contacts due by then."""
    settled = Task.objects.filter(
        customer_id=customer_id, status=TaskStatus.OPEN, source_activity__isnull=False, due_on__lte=through
    )
    if keep is not None:
        settled = settled.exclude(source_activity=keep)
    settled.update(status=TaskStatus.DONE, done_at=clock.now(), updated_at=clock.now())


def calendar_feed_reset(*, actor: Actor) -> str:
    """Issue a new secret calendar address for the actor; the old one stops working at once.

    Returns the secret token, which is shown once and never stored.
    """
    user = user_of(actor)
    if user is None:
        raise PermissionDenied(_("Sign in first."))
    token = FEED_TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        feed, created = CalendarFeed.objects.update_or_create(user=user, defaults={"token_hash": hash_token(token)})
        audit_record(actor=actor, verb=Verb.CREATE if created else Verb.UPDATE, target=feed)
    return token


def tasks_follow_customers(*, actor: Actor, customer_ids: Sequence[int], owner_id: int) -> int:
    """Hand the open tasks about these customers to their new owner (交接), audited per task.

    Runs after a customer changed hands; idempotent, since tasks already with the owner are left alone.
    """
    if not actor.is_system:
        raise PermissionDenied(_("Only a background job hands tasks over with their customers."))
    owner = User.objects.filter(pk=owner_id, is_active=True).first()
    if owner is None:
        return 0
    with transaction.atomic():
        moving = list(
            Task.objects.select_for_update()
            .filter(customer_id__in=list(customer_ids), status=TaskStatus.OPEN)
            .exclude(owner_id=owner.pk)
        )
        if not moving:
            return 0
        previous = {task.pk: task.owner_id for task in moving}
        Task.objects.filter(pk__in=list(previous)).update(
            owner_id=owner.pk, team_id=owner.team_id, updated_at=clock.now(), version=F("version") + 1
        )
        for task in moving:
            audit_record(actor=actor, verb=Verb.UPDATE, target=task, changes={"owner": [previous[task.pk], owner.pk]})
    return len(moving)


def tasks_follow_owner_team(*, actor: Actor, user_id: int) -> int:
    """After a user moved teams, their tasks move too (visibility is by team); idempotent."""
    if not actor.is_system:
        raise PermissionDenied(_("Only a background job moves tasks between teams."))
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return 0
    tasks = Task.all_objects.filter(owner_id=user.pk)
    if user.team_id is None:
        return tasks.exclude(team__isnull=True).update(team_id=None)
    return tasks.exclude(team_id=user.team_id).update(team_id=user.team_id)


def tasks_from_planned_contacts(*, actor: Actor) -> int:
    """Plan a task for every open planned contact that has none, in one INSERT … SELECT.

    For follow-ups written in bulk around the services (demo data, data loads); the follow-up
    services plan their task themselves.
    """
    if not actor.is_system:
        raise PermissionDenied(_("Only a background job plans tasks in bulk."))
    task, activity = Task._meta.db_table, Activity._meta.db_table
    sql = f"""
        INSERT INTO {task} (
            title, notes, due_on, status, owner_id, team_id, created_by_id, customer_id, contact_id,
            related_type, source_activity_id, version, created_at, updated_at
        )
        SELECT SUBSTR(CASE WHEN a.next_step <> '' THEN a.next_step ELSE a.content END, 1, 200), '',
               a.next_contact_on, %s, a.owner_id, a.team_id, a.owner_id, a.customer_id, a.contact_id,
               '', a.id, 1, a.created_at, a.updated_at
        FROM {activity} a
        WHERE a.deleted_at IS NULL AND a.is_next_contact_done = %s AND a.next_contact_on IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM {task} t WHERE t.source_activity_id = a.id)
    """  # noqa: S608  (table names come from the models, values are parameters)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [TaskStatus.OPEN.value, False])
        return int(cursor.rowcount)
