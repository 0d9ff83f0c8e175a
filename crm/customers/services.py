"""Every write to customers, contacts and tags."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from crm.access.visibility import masks_contact_info, require_change, require_visible
from crm.audit.models import Verb
from crm.audit.services import audit_record, diff, save_versioned, snapshot
from crm.core import clock
from crm.core.actors import Actor
from crm.core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from crm.core.search import build_search_text
from crm.customers.duplicates.normalise import company_key, person_key
from crm.customers.models import Contact, Customer, Tag
from crm.customers.presentation import conflict_rows
from crm.customers.validation import clean_fields, contact_cleaners, customer_cleaners
from crm.identity.models import User
from crm.identity.rights import can_export, user_of

CUSTOMER_FIELDS = [*customer_cleaners().keys(), "owner"]
CONTACT_FIELDS = [*contact_cleaners().keys(), "owner", "customer"]
MASKED_FIELDS = {"phone", "mobile", "email"}


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, errors=[FieldError(field=field, message=message)])


def owner_resolve(actor: Actor, owner_id: Any, *, default_to_actor: bool = True) -> User:
    """The requested owner, or the acting user when none is given (on create only)."""
    if owner_id in (None, "") and not default_to_actor:
        raise _invalid("owner", _("Choose an owner."))
    if owner_id in (None, ""):
        user = user_of(actor)
        if user is None:
            raise _invalid("owner", _("Choose an owner."))
        return user
    try:
        owner = User.objects.filter(pk=int(owner_id), is_active=True).first()
    except (TypeError, ValueError):
        owner = None
    if owner is None:
        raise _invalid("owner", _("Choose an active user as the owner."))
    return owner


def _customer_search_text(customer: Customer) -> str:
    return build_search_text(
        names=[customer.name],
        phones=[customer.phone],
        others=[customer.email, customer.credit_code, customer.website],
    )


def _keep_derived_columns(record: Customer | Contact) -> dict[str, str]:
    """Refresh the search text and duplicate-check key of `record`; returns them as columns."""
    if isinstance(record, Customer):
        record.search_text, record.name_key = _customer_search_text(record), company_key(record.name)
    else:
        record.search_text, record.name_key = _contact_search_text(record), person_key(record.name)
    return {"search_text": record.search_text, "name_key": record.name_key}


def _contact_search_text(contact: Contact) -> str:
    return build_search_text(
        names=[contact.name], phones=[contact.mobile, contact.phone], others=[contact.email, contact.wechat]
    )


def tags_resolve(names: Iterable[str]) -> list[Tag]:
    """Existing tags by name, creating the missing ones (tags are free labels)."""
    wanted = sorted({name.strip()[:50] for name in names if name and name.strip()})
    if not wanted:
        return []
    existing = {tag.name: tag for tag in Tag.objects.filter(name__in=wanted)}
    missing = [Tag(name=name) for name in wanted if name not in existing]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {tag.name: tag for tag in Tag.objects.filter(name__in=wanted)}
    return [existing[name] for name in wanted]


def _check_external_id(model: type[Customer] | type[Contact], external_id: str | None, exclude_pk: int | None) -> None:
    if external_id and model.all_objects.filter(external_id=external_id).exclude(pk=exclude_pk or 0).exists():
        raise _invalid("external_id", _("Another record already uses this external ID."))


def _refuse_masked_changes(actor: Actor, record: Customer | Contact, values: dict[str, Any]) -> None:
    """A viewer who sees phone/email masked cannot overwrite what they cannot read."""
    if not masks_contact_info(actor, owner_id=record.owner_id):
        return
    for field in MASKED_FIELDS & values.keys():
        if values[field] != getattr(record, field):
            raise _invalid(field, _("You may not change this field of a record you do not own."))


@contextmanager
def _conflict_shown_to(actor: Actor, record: Customer | Contact) -> Iterator[None]:
    """A refused editor sees what changed as they may see it: labelled, contact details masked."""
    try:
        yield
    except Conflict as exc:
        exc.extra["changes"] = conflict_rows(actor, record, exc.extra.get("changes", []))
        raise


# Customers -------------------------------------------------------------------------------


def customer_create(*, actor: Actor, values: dict[str, Any]) -> Customer:
    """Create a customer owned by `values['owner_id']` (default: the actor)."""
    if actor.user is None and not actor.is_system:
        raise PermissionDenied(_("Sign in first."))
    cleaned = clean_fields(values, customer_cleaners())
    if "name" not in cleaned:
        raise _invalid("name", _("This field is required."))
    owner = owner_resolve(actor, values.get("owner_id"))
    with transaction.atomic():
        _check_external_id(Customer, cleaned.get("external_id"), None)
        customer = Customer(**cleaned, owner=owner, team_id=owner.team_id)
        _keep_derived_columns(customer)
        try:
            customer.save()
        except IntegrityError as exc:
            raise _invalid("external_id", _("Another record already uses this external ID.")) from exc
        tags = tags_resolve(values.get("tags") or [])
        if tags:
            customer.tags.set(tags)
        after = snapshot(customer, CUSTOMER_FIELDS)
        after["tags"] = [tag.name for tag in tags]
        audit_record(actor=actor, verb=Verb.CREATE, target=customer, changes=diff({}, after))
    return customer


def customer_update(*, actor: Actor, customer_id: int, version: int, values: dict[str, Any]) -> Customer:
    """Change a customer the actor may edit; refused with a Conflict if it changed meanwhile."""
    cleaned = clean_fields(values, customer_cleaners())
    with transaction.atomic():
        customer = require_visible(actor, Customer.objects.filter(pk=customer_id).first())
        require_change(actor, customer)
        _refuse_masked_changes(actor, customer, cleaned)
        if "external_id" in cleaned:
            _check_external_id(Customer, cleaned["external_id"], customer.pk)
        fields = [*cleaned.keys()]
        before = snapshot(customer, fields)
        before["tags"] = sorted(customer.tags.values_list("name", flat=True))
        for key, value in cleaned.items():
            setattr(customer, key, value)
        if "owner_id" in values:
            owner = owner_resolve(actor, values["owner_id"], default_to_actor=False)
            before["owner"] = customer.owner_id
            customer.owner, customer.team_id = owner, owner.team_id
            fields.append("owner")
        after = snapshot(customer, fields)
        if "tags" in values:
            tags = tags_resolve(values.get("tags") or [])
            after["tags"] = [tag.name for tag in tags]
        else:
            after["tags"] = before["tags"]
        columns = {**_keep_derived_columns(customer), "team_id": customer.team_id}
        with _conflict_shown_to(actor, customer):
            save_versioned(
                actor=actor,
                instance=customer,
                expected_version=version,
                before=before,
                after=after,
                extra_columns=columns,
            )
        if after["tags"] != before["tags"]:
            customer.tags.set(tags)
    return customer


def _set_binned[R: (Customer, Contact)](actor: Actor, model: type[R], record_id: int, *, binned: bool) -> R:
    """Move a record into the recycle bin or back out of it, audited; the row itself stays."""
    with transaction.atomic():
        candidates = model.all_objects.filter(pk=record_id, deleted_at__isnull=binned)
        record = require_visible(actor, candidates.first())
        require_change(actor, record)
        record.deleted_at = clock.now() if binned else None
        model.all_objects.filter(pk=record.pk).update(deleted_at=record.deleted_at)
        audit_record(actor=actor, verb=Verb.DELETE if binned else Verb.RESTORE, target=record)
    return record


def customer_delete(*, actor: Actor, customer_id: int) -> Customer:
    """Move a customer (and nothing else) to the recycle bin; it stays restorable."""
    return _set_binned(actor, Customer, customer_id, binned=True)


def customer_restore(*, actor: Actor, customer_id: int) -> Customer:
    return _set_binned(actor, Customer, customer_id, binned=False)


# Contacts --------------------------------------------------------------------------------


def _contact_customer(actor: Actor, customer_id: Any) -> Customer | None:
    if customer_id in (None, ""):
        return None
    try:
        customer = Customer.objects.filter(pk=int(customer_id)).first()
    except (TypeError, ValueError):
        customer = None
    try:
        return require_visible(actor, customer)
    except NotFound as exc:
        raise _invalid("customer", _("Choose a customer you can see.")) from exc


def contact_create(*, actor: Actor, values: dict[str, Any]) -> Contact:
    """Create a contact, optionally at a customer; the owner defaults to the customer's owner."""
    cleaned = clean_fields(values, contact_cleaners())
    if "name" not in cleaned:
        raise _invalid("name", _("This field is required."))
    customer = _contact_customer(actor, values.get("customer_id"))
    owner_id = values.get("owner_id") or (customer.owner_id if customer is not None else None)
    owner = owner_resolve(actor, owner_id)
    with transaction.atomic():
        _check_external_id(Contact, cleaned.get("external_id"), None)
        contact = Contact(**cleaned, customer=customer, owner=owner, team_id=owner.team_id)
        _keep_derived_columns(contact)
        contact.save()
        audit_record(actor=actor, verb=Verb.CREATE, target=contact, changes=diff({}, snapshot(contact, CONTACT_FIELDS)))
    return contact


def contact_update(*, actor: Actor, contact_id: int, version: int, values: dict[str, Any]) -> Contact:
    cleaned = clean_fields(values, contact_cleaners())
    with transaction.atomic():
        contact = require_visible(actor, Contact.objects.filter(pk=contact_id).first())
        require_change(actor, contact)
        _refuse_masked_changes(actor, contact, cleaned)
        if "external_id" in cleaned:
            _check_external_id(Contact, cleaned["external_id"], contact.pk)
        fields = [*cleaned.keys()]
        if "customer_id" in values:
            fields.append("customer")
        if "owner_id" in values:
            fields.append("owner")
        before = snapshot(contact, fields)
        for key, value in cleaned.items():
            setattr(contact, key, value)
        if "customer_id" in values:
            contact.customer = _contact_customer(actor, values["customer_id"])
        if "owner_id" in values:
            owner = owner_resolve(actor, values["owner_id"], default_to_actor=False)
            contact.owner, contact.team_id = owner, owner.team_id
        columns = {**_keep_derived_columns(contact), "team_id": contact.team_id}
        with _conflict_shown_to(actor, contact):
            save_versioned(
                actor=actor,
                instance=contact,
                expected_version=version,
                before=before,
                after=snapshot(contact, fields),
                extra_columns=columns,
            )
    return contact


def contact_delete(*, actor: Actor, contact_id: int) -> Contact:
    return _set_binned(actor, Contact, contact_id, binned=True)


def contact_restore(*, actor: Actor, contact_id: int) -> Contact:
    return _set_binned(actor, Contact, contact_id, binned=False)


def export_record(
    *, actor: Actor, object_type: str, row_count: int | None, file_format: str, filters: dict[str, Any]
) -> None:
    """Write the audit entry for an export (the export itself streams from a selector)."""
    if not can_export(actor):
        raise PermissionDenied(_("Your role may not export lists."))
    audit_record(
        actor=actor,
        verb=Verb.EXPORT,
        target_type=object_type,
        changes={"rows": row_count, "format": file_format, "filters": filters},
    )


def records_follow_owner_team(*, actor: Actor, user_id: int) -> int:
    """Put every customer and contact a user owns into the user's current team, in bulk.

    Visibility by team reads `team_id` on the record, so it must follow its owner's moves.
    One summary audit entry is written for the whole move.
    """
    owner = User.objects.filter(pk=user_id).only("pk", "team_id", "username", "full_name").first()
    if owner is None:
        return 0
    with transaction.atomic():
        elsewhere = (
            Q(team_id__isnull=False) if owner.team_id is None else ~Q(team_id=owner.team_id) | Q(team_id__isnull=True)
        )
        moved = Customer.all_objects.filter(elsewhere, owner_id=owner.pk).update(team_id=owner.team_id)
        moved += Contact.all_objects.filter(elsewhere, owner_id=owner.pk).update(team_id=owner.team_id)
        if moved:
            audit_record(
                actor=actor,
                verb=Verb.UPDATE,
                target=owner,
                changes={"records_moved_to_team": [None, owner.team_id], "records": moved},
            )
    return moved


def _refresh_name_keys[R: (Customer, Contact)](
    model: type[R], key_of: Callable[[str], str], batch_size: int, progress: Callable[[int], None] | None
) -> int:
    changed = 0
    last_id = 0
    while True:
        with transaction.atomic():
            rows = list(
                model.all_objects.filter(pk__gt=last_id)
                .order_by("pk")
                .values_list("pk", "name", "name_key")[:batch_size]
            )
            if not rows:
                break
            stale = [model(pk=pk, name_key=key_of(name)) for pk, name, key in rows if key != key_of(name)]
            if stale:
                model.all_objects.bulk_update(stale, ["name_key"], batch_size=500)
            changed += len(stale)
        last_id = rows[-1][0]
        if progress is not None:
            progress(len(rows))
    return changed


def duplicate_keys_refresh(
    *, actor: Actor, object_type: str, batch_size: int = 2000, progress: Callable[[int], None] | None = None
) -> int:
    """Recompute the duplicate-check name key of every customer or contact, in batches.

    Rows written before the keys existed (or after the normalisation rules changed) get their
    key here; returns how many rows changed. One summary audit entry is written.
    """
    if not actor.is_system:
        raise PermissionDenied("Only a system process may rebuild duplicate-check keys.")
    if object_type == "customers":
        changed = _refresh_name_keys(Customer, company_key, batch_size, progress)
    else:
        changed = _refresh_name_keys(Contact, person_key, batch_size, progress)
    if changed:
        with transaction.atomic():
            audit_record(
                actor=actor, verb=Verb.UPDATE, target_type=f"customers.{object_type}", changes={"name_keys": changed}
            )
    return changed
