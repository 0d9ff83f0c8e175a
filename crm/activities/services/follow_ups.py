"""Every write to follow-ups; a follow-up's planned next contact is kept as a task."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from crm.access.visibility import can_change, require_visible
from crm.activities.models import Activity, ActivityKind, Task, TaskStatus
from crm.activities.services.tasks import planned_contact_sync, planned_contacts_settle
from crm.audit.models import Verb
from crm.audit.services import audit_record, diff, save_versioned, snapshot
from crm.core import clock
from crm.core.actors import Actor
from crm.core.errors import FieldError, NotFound, PermissionDenied, ValidationFailed
from crm.customers.models import Contact, Customer
from crm.customers.neglect import customers_neglect_recheck
from crm.identity.rights import user_of

ACTIVITY_FIELDS = ["kind", "content", "occurred_at", "next_step", "next_contact_on", "contact"]
REFRESH_CHUNK = 5000


def last_follow_ups_refresh(*, customer_ids: Iterable[int] | None = None) -> int:
    """Set `Customer.last_follow_up_at` from the customers' live follow-ups, then recheck their neglect flag.

    Every write that adds, removes, re-dates or moves a follow-up calls this in its transaction, so the
    column (which the neglect check and the stalled-deal check read) stays right. `None` refreshes
    every customer, for bulk loads that insert follow-ups with SQL. Returns how many were refreshed.
    """
    latest = Activity.objects.filter(customer_id=OuterRef("pk")).order_by("-occurred_at", "-id").values("occurred_at")
    if customer_ids is None:
        return Customer.all_objects.update(last_follow_up_at=Subquery(latest[:1]))
    ids = sorted(set(customer_ids))
    for start in range(0, len(ids), REFRESH_CHUNK):
        chunk = ids[start : start + REFRESH_CHUNK]
        Customer.all_objects.filter(pk__in=chunk).update(last_follow_up_at=Subquery(latest[:1]))
    customers_neglect_recheck(customer_ids=ids)
    return len(ids)


def _clean(values: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    errors: list[FieldError] = []

    def fail(field: str, message: str) -> None:
        errors.append(FieldError(field=field, message=message))

    if "kind" in values or not partial:
        kind = str(values.get("kind") or ActivityKind.CALL)
        if kind not in ActivityKind.values:
            fail("kind", _("Choose a follow-up type."))
        cleaned["kind"] = kind
    if "content" in values or not partial:
        content = str(values.get("content") or "").strip()
        if not content:
            fail("content", _("Write what happened."))
        elif len(content) > 10000:
            fail("content", _("Use at most %(max)d characters.") % {"max": 10000})
        cleaned["content"] = content
    if "next_step" in values:
        next_step = str(values.get("next_step") or "").strip()
        if len(next_step) > 500:
            fail("next_step", _("Use at most %(max)d characters.") % {"max": 500})
        cleaned["next_step"] = next_step
    if "next_contact_on" in values:
        raw = values.get("next_contact_on")
        if raw in (None, ""):
            cleaned["next_contact_on"] = None
        elif isinstance(raw, dt.date):
            cleaned["next_contact_on"] = raw
        else:
            try:
                cleaned["next_contact_on"] = dt.date.fromisoformat(str(raw))
            except ValueError:
                fail("next_contact_on", _("Enter a date as YYYY-MM-DD."))
    if "occurred_at" in values and values["occurred_at"] not in (None, ""):
        raw_time = values["occurred_at"]
        moment = raw_time if isinstance(raw_time, dt.datetime) else parse_datetime(str(raw_time))
        if moment is None:
            fail("occurred_at", _("Enter a date and time."))
        else:
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
            if moment > clock.now() + dt.timedelta(minutes=5):
                fail("occurred_at", _("A follow-up cannot happen in the future."))
            cleaned["occurred_at"] = moment
    if errors:
        raise ValidationFailed(_("Please correct the highlighted fields."), errors=errors)
    return cleaned


def _visible_customer(actor: Actor, customer_id: Any) -> Customer:
    try:
        customer = Customer.objects.filter(pk=int(customer_id)).first()
    except (TypeError, ValueError):
        customer = None
    try:
        return require_visible(actor, customer)
    except NotFound as exc:
        raise ValidationFailed(
            _("Choose a customer you can see."),
            errors=[FieldError(field="customer", message=_("Choose a customer you can see."))],
        ) from exc


def _contact_of(customer: Customer, contact_id: Any) -> Contact | None:
    if contact_id in (None, ""):
        return None
    try:
        contact = Contact.objects.filter(pk=int(contact_id), customer=customer).first()
    except (TypeError, ValueError):
        contact = None
    if contact is None:
        message = _("Choose one of this customer's contacts.")
        raise ValidationFailed(message, errors=[FieldError(field="contact", message=message)])
    return contact


def activity_create(*, actor: Actor, values: dict[str, Any]) -> Activity:
    """Log a follow-up on a customer the actor can see.

    Logging a follow-up also settles the customer's earlier planned contacts that are due,
    so "due today / overdue" lists only what still needs doing.
    """
    user = user_of(actor)
    if user is None:
        raise PermissionDenied(_("Sign in first."))
    cleaned = _clean(values, partial=False)
    with transaction.atomic():
        customer = _visible_customer(actor, values.get("customer_id"))
        contact = _contact_of(customer, values.get("contact_id"))
        activity = Activity(**cleaned, customer=customer, contact=contact, owner=user, team_id=user.team_id)
        activity.save()
        Activity.objects.filter(
            customer=customer,
            is_next_contact_done=False,
            next_contact_on__lte=timezone.localdate(activity.occurred_at),
        ).exclude(pk=activity.pk).update(is_next_contact_done=True)
        planned_contacts_settle(
            customer_id=customer.pk, through=timezone.localdate(activity.occurred_at), keep=activity
        )
        planned_contact_sync(activity)
        Customer.objects.filter(pk=customer.pk).update(updated_at=clock.now())
        last_follow_ups_refresh(customer_ids=[customer.pk])
        audit_record(
            actor=actor,
            verb=Verb.CREATE,
            target=activity,
            changes=diff({}, snapshot(activity, [*ACTIVITY_FIELDS, "customer"])),
        )
    return activity


def _editable(actor: Actor, activity_id: int) -> Activity:
    activity = Activity.objects.select_related("customer").filter(pk=activity_id).first()
    if activity is None:
        raise NotFound(_("This record does not exist or you may not see it."))
    require_visible(actor, activity.customer)
    if not (actor.user_id == activity.owner_id or can_change(actor, activity.customer)):
        raise PermissionDenied(_("Only the person who logged this follow-up or a manager may change it."))
    return activity


def activity_update(*, actor: Actor, activity_id: int, version: int, values: dict[str, Any]) -> Activity:
    cleaned = _clean(values, partial=True)
    with transaction.atomic():
        activity = _editable(actor, activity_id)
        fields = list(cleaned.keys())
        if "contact_id" in values:
            fields.append("contact")
        before = snapshot(activity, fields)
        for key, value in cleaned.items():
            setattr(activity, key, value)
        if "contact_id" in values:
            activity.contact = _contact_of(activity.customer, values["contact_id"])
        save_versioned(
            actor=actor, instance=activity, expected_version=version, before=before, after=snapshot(activity, fields)
        )
        if {"next_step", "next_contact_on", "content"} & set(cleaned):
            planned_contact_sync(activity)
        if "occurred_at" in cleaned:
            last_follow_ups_refresh(customer_ids=[activity.customer_id])
    return activity


def activity_delete(*, actor: Actor, activity_id: int) -> Activity:
    with transaction.atomic():
        activity = _editable(actor, activity_id)
        now = clock.now()
        Activity.all_objects.filter(pk=activity.pk).update(deleted_at=now)
        activity.deleted_at = now
        Task.objects.filter(source_activity=activity, status=TaskStatus.OPEN).update(
            status=TaskStatus.CANCELLED, updated_at=now
        )
        last_follow_ups_refresh(customer_ids=[activity.customer_id])
        audit_record(actor=actor, verb=Verb.DELETE, target=activity)
    return activity


def activity_restore(*, actor: Actor, activity_id: int) -> Activity:
    """Bring a deleted follow-up back; the customer's last follow-up (and neglect flag) follow."""
    with transaction.atomic():
        activity = Activity.all_objects.select_related("customer").filter(pk=activity_id).first()
        if activity is None or activity.deleted_at is None:
            raise NotFound(_("This record does not exist or you may not see it."))
        require_visible(actor, activity.customer)
        if not (actor.user_id == activity.owner_id or can_change(actor, activity.customer)):
            raise PermissionDenied(_("Only the person who logged this follow-up or a manager may change it."))
        Activity.all_objects.filter(pk=activity.pk).update(deleted_at=None, updated_at=clock.now())
        activity.deleted_at = None
        last_follow_ups_refresh(customer_ids=[activity.customer_id])
        audit_record(actor=actor, verb=Verb.RESTORE, target=activity)
    return activity


def activity_mark_done(*, actor: Actor, activity_id: int) -> Activity:
    """Settle a planned next contact without logging a new follow-up."""
    with transaction.atomic():
        activity = _editable(actor, activity_id)
        if not activity.is_next_contact_done:
            Activity.objects.filter(pk=activity.pk).update(is_next_contact_done=True)
            activity.is_next_contact_done = True
            Task.objects.filter(source_activity=activity, status=TaskStatus.OPEN).update(
                status=TaskStatus.DONE, done_at=clock.now(), updated_at=clock.now()
            )
            audit_record(
                actor=actor, verb=Verb.UPDATE, target=activity, changes={"is_next_contact_done": [False, True]}
            )
    return activity
