"""Every write to customers, contacts and tags."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, cast

from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from crm.access.visibility import can_change, can_see, masks_contact_info, require_change, require_visible
from crm.audit.models import Verb
from crm.audit.services import (
    _plain,
    audit_record,
    audit_record_each,
    diff,
    save_versioned,
    snapshot,
    target_type_of,
)
from crm.core import clock
from crm.core.actors import Actor
from crm.core.bulk_insert import insert_many
from crm.core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from crm.core.events import publish_on_commit
from crm.core.search import build_search_text
from crm.customers.duplicates.check import duplicate_check, duplicate_check_edit
from crm.customers.duplicates.normalise import company_key, person_key
from crm.customers.duplicates.sources import source_of
from crm.customers.events import CustomersHandedOver
from crm.customers.models import Contact, Customer, OwnedRecord, Tag
from crm.customers.neglect import customers_neglect_owner_changed, customers_neglect_recheck
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


def derived_columns_refresh(record: Any) -> dict[str, str]:
    """Refresh the search text and name key of a customer or contact (after a merge), as columns."""
    return _keep_derived_columns(record)


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


def customer_create(*, actor: Actor, values: dict[str, Any], allow_duplicates: bool = False) -> Customer:
    """Create a customer owned by `values['owner_id']` (default: the actor).

    Likely duplicates are refused per the duplicate policy; `allow_duplicates` confirms a warning.
    """
    if actor.user is None and not actor.is_system:
        raise PermissionDenied(_("Sign in first."))
    cleaned = clean_fields(values, customer_cleaners())
    if "name" not in cleaned:
        raise _invalid("name", _("This field is required."))
    owner = owner_resolve(actor, values.get("owner_id"))
    duplicate_check(actor=actor, object_type="customers", values=cleaned, allow_duplicates=allow_duplicates)
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


def customer_update(
    *, actor: Actor, customer_id: int, version: int, values: dict[str, Any], allow_duplicates: bool = False
) -> Customer:
    """Change a customer the actor may edit; refused with a Conflict if it changed meanwhile."""
    cleaned = clean_fields(values, customer_cleaners())
    duplicate_check_edit(
        actor=actor, object_type="customers", record_id=customer_id, values=cleaned, allow_duplicates=allow_duplicates
    )
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
        _neglect_follows(
            owner_changed=[customer.pk] if "owner" in fields and before["owner"] != customer.owner_id else [],
            grade_changed=[customer.pk] if "grade" in fields and before["grade"] != customer.grade else [],
        )
        if "owner" in fields and before["owner"] != customer.owner_id:
            publish_on_commit(CustomersHandedOver(customer_ids=(customer.pk,), owner_id=customer.owner_id))
    return customer


def _neglect_follows(*, owner_changed: list[int], grade_changed: list[int]) -> None:
    """Keep the neglect flags right after a change: a new owner hears about an already flagged
    customer at the next check, and a new grade (another threshold) flags or clears it at once."""
    if owner_changed:
        customers_neglect_owner_changed(customer_ids=owner_changed)
    if grade_changed:
        customers_neglect_recheck(customer_ids=grade_changed)


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


def contact_create(*, actor: Actor, values: dict[str, Any], allow_duplicates: bool = False) -> Contact:
    """Create a contact, optionally at a customer; the owner defaults to the customer's owner."""
    cleaned = clean_fields(values, contact_cleaners())
    if "name" not in cleaned:
        raise _invalid("name", _("This field is required."))
    customer = _contact_customer(actor, values.get("customer_id"))
    owner_id = values.get("owner_id") or (customer.owner_id if customer is not None else None)
    owner = owner_resolve(actor, owner_id)
    duplicate_check(
        actor=actor,
        object_type="contacts",
        values={**cleaned, "customer_id": customer.pk if customer is not None else None},
        allow_duplicates=allow_duplicates,
    )
    with transaction.atomic():
        _check_external_id(Contact, cleaned.get("external_id"), None)
        contact = Contact(**cleaned, customer=customer, owner=owner, team_id=owner.team_id)
        _keep_derived_columns(contact)
        contact.save()
        audit_record(actor=actor, verb=Verb.CREATE, target=contact, changes=diff({}, snapshot(contact, CONTACT_FIELDS)))
    return contact


def contact_update(
    *, actor: Actor, contact_id: int, version: int, values: dict[str, Any], allow_duplicates: bool = False
) -> Contact:
    cleaned = clean_fields(values, contact_cleaners())
    duplicate_check_edit(
        actor=actor, object_type="contacts", record_id=contact_id, values=cleaned, allow_duplicates=allow_duplicates
    )
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


def _refresh_name_keys(
    model: type[OwnedRecord],
    key_of: Callable[[str], str],
    batch_size: int,
    progress: Callable[[int], None] | None,
    column: str = "name",
) -> int:
    changed = 0
    last_id = 0
    while True:
        with transaction.atomic():
            rows = list(
                model.all_objects.filter(pk__gt=last_id)
                .order_by("pk")
                .values_list("pk", column, "name_key")[:batch_size]
            )
            if not rows:
                break
            build = cast(Any, model)
            stale = [build(pk=pk, name_key=key_of(name)) for pk, name, key in rows if key != key_of(name)]
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
    elif object_type == "leads":
        # A lead's key is its company's (crm.leads.duplicate_source); the model is registered there.
        lead_model = cast(type[OwnedRecord], source_of("leads").model)
        changed = _refresh_name_keys(lead_model, company_key, batch_size, progress, column="company_name")
    else:
        changed = _refresh_name_keys(Contact, person_key, batch_size, progress)
    if changed:
        with transaction.atomic():
            audit_record(
                actor=actor, verb=Verb.UPDATE, target_type=f"customers.{object_type}", changes={"name_keys": changed}
            )
    return changed


# Bulk writes (imports) -------------------------------------------------------------------
#
# The same rules as the one-record services above, for thousands of records at once: the
# caller passes cleaned values (crm.customers.validation); permission is checked once per
# distinct owner and once per record changed; rows go in with bulk SQL in batches inside one
# transaction, each with its own audit entry, so a failure leaves nothing half-written.

BULK_BATCH = 2000


class _OwnerProbe:
    """A would-be record owned by `owner`, for asking `can_change` before it exists."""

    def __init__(self, owner: User) -> None:
        self.owner_id, self.team_id = owner.pk, owner.team_id


def may_own(actor: Actor, owner: User) -> bool:
    """Whether `actor` may create records for `owner`, or hand records over to them.

    Anyone may own what they create; records for someone else need the right to edit that
    person's records (team manager of their team, or a role that edits every visible record).
    """
    if actor.is_system:
        return True
    user = user_of(actor)
    if user is None or not user.is_active:
        return False
    return owner.pk == user.pk or can_change(actor, _OwnerProbe(owner))


def owners_for(actor: Actor, owner_ids: Iterable[int]) -> dict[int, User]:
    """The active users `actor` may give records to, by id; PermissionDenied for any other."""
    wanted = set(owner_ids)
    owners = {user.pk: user for user in User.objects.filter(pk__in=wanted, is_active=True)}
    for owner_id in sorted(wanted):
        owner = owners.get(owner_id)
        if owner is None:
            raise _invalid("owner", _("Choose an active user as the owner."))
        if not may_own(actor, owner):
            raise PermissionDenied(
                _("You may not create records for %(name)s or hand records over to them.") % {"name": owner}
            )
    return owners


_PLAIN_TYPES = frozenset({str, int, bool, float})


def _created_changes(record: models.Model, fields: Sequence[tuple[str, str]]) -> dict[str, list[Any]]:
    """`diff({}, snapshot(record, fields))` for a new record, without a field lookup per value."""
    changes = {}
    for name, attname in fields:
        value = getattr(record, attname)
        if value is not None:
            # Text and numbers are already plain; only dates, decimals and the like need converting.
            changes[name] = [None, value if type(value) in _PLAIN_TYPES else _plain(value)]
    return changes


def audit_each(actor: Actor, verb: Verb, entries: Sequence[tuple[OwnedRecord, dict[str, Any]]]) -> None:
    """One audit entry per record with its own changes, in one bulk write."""
    if not entries:
        return
    audit_record_each(
        actor=actor,
        verb=verb,
        target_type=target_type_of(entries[0][0]),
        rows=[(record.pk, str(record), record.version, changes) for record, changes in entries],
    )


def _new_records[R: OwnedRecord](
    model: type[R], drafts: Sequence[dict[str, Any]], owners: dict[int, User], now: Any
) -> Iterator[R]:
    """Unsaved records from drafts keyed by field name (attname for foreign keys), owned as drafted.

    `Model(**values)` looks every field up by keyword, about twenty microseconds a record: two
    seconds of a 100,000-row import. Arguments in field order are Django's own fast path (the one
    `from_db` takes); a field a draft leaves out gets its default, a fresh one per record.
    """
    fields = model._meta.concrete_fields
    position = {field.attname: index for index, field in enumerate(fields)}
    defaults = [field.get_default for field in fields]
    fixed = [position["owner_id"], position["team_id"], position["created_at"], position["updated_at"]]
    owner_field = cast("models.ForeignKey[Any, Any]", model._meta.get_field("owner"))
    unset = object()
    for draft in drafts:
        owner = owners[int(draft["owner_id"])]
        if not position.keys() >= draft.keys():
            # A foreign key given as an object, or a field the model lacks: let Django say what is wrong.
            values = {key: value for key, value in draft.items() if key != "owner_id"}
            yield model(**values, owner=owner, team_id=owner.team_id, created_at=now, updated_at=now)
            continue
        args: list[Any] = [unset] * len(fields)
        for key, value in draft.items():
            args[position[key]] = value
        for index, value in zip(fixed, (owner.pk, owner.team_id, now, now), strict=True):
            args[index] = value
        record = model(*[default() if value is unset else value for value, default in zip(args, defaults, strict=True)])
        owner_field.set_cached_value(record, owner)
        yield record


def owned_create_many[R: OwnedRecord](
    *,
    actor: Actor,
    model: type[R],
    drafts: Sequence[dict[str, Any]],
    audit_fields: Sequence[str],
    derive: Callable[[R], object],
) -> list[R]:
    """Create `model` rows from cleaned `drafts` (each with an `owner_id`), audited, in one transaction."""
    if actor.user is None and not actor.is_system:
        raise PermissionDenied(_("Sign in first."))
    owners = owners_for(actor, {int(draft["owner_id"]) for draft in drafts})
    attnames = [(name, str(getattr(model._meta.get_field(name), "attname", name))) for name in audit_fields]
    records: list[R] = []
    for record in _new_records(model, drafts, owners, clock.now()):
        derive(record)
        records.append(record)
    with transaction.atomic():
        for start in range(0, len(records), BULK_BATCH):
            batch = records[start : start + BULK_BATCH]
            try:
                insert_many(model, batch)
            except IntegrityError as exc:
                raise _invalid("external_id", _("Another record already uses this external ID.")) from exc
            audit_each(actor, Verb.CREATE, [(record, _created_changes(record, attnames)) for record in batch])
    return records


def owned_update_many[R: OwnedRecord](
    *,
    actor: Actor,
    model: type[R],
    changes: Sequence[tuple[R, dict[str, Any]]],
    derive: Callable[[R], object],
    derived_columns: Sequence[str],
) -> list[dict[str, Any]]:
    """Apply cleaned `changes` to records read earlier; returns, per record, the old values it changed.

    A record saved by someone else since it was read fails the whole call with a Conflict, and
    a record whose values would not change is left alone (its entry in the result is empty).
    """
    new_owner_ids = {int(values["owner_id"]) for _record, values in changes if values.get("owner_id")}
    owners = owners_for(actor, new_owner_ids) if new_owner_ids else {}
    for record, values in changes:
        require_change(actor, record)
        if masks_contact_info(actor, owner_id=record.owner_id):
            for field in MASKED_FIELDS & values.keys():
                if values[field] != getattr(record, field):
                    raise _invalid(field, _("You may not change this field of a record you do not own."))
    before_all: list[dict[str, Any]] = []
    now = clock.now()
    with transaction.atomic():
        for start in range(0, len(changes), BULK_BATCH):
            batch = changes[start : start + BULK_BATCH]
            current = dict(
                model.all_objects.filter(pk__in=[record.pk for record, _v in batch]).values_list("pk", "version")
            )
            if any(current.get(record.pk) != record.version for record, _v in batch):
                raise Conflict(_("Someone changed one of these records meanwhile. Nothing was saved; try again."))
            written: list[R] = []
            audits: list[tuple[OwnedRecord, dict[str, Any]]] = []
            columns: set[str] = set()
            for record, values in batch:
                fields = [key for key in values if key != "owner_id"]
                before = snapshot(record, fields)
                for key in fields:
                    setattr(record, key, values[key])
                if values.get("owner_id") and int(values["owner_id"]) != record.owner_id:
                    owner = owners[int(values["owner_id"])]
                    before["owner"] = record.owner_id
                    record.owner, record.team_id = owner, owner.team_id
                    fields.append("owner")
                    columns.add("team")
                changed = diff(before, snapshot(record, fields))
                before_all.append({key: before[key] for key in changed})
                if not changed:
                    continue
                derive(record)
                record.version += 1
                record.updated_at = now
                columns.update(changed)
                written.append(record)
                audits.append((record, changed))
            if written:
                model.all_objects.bulk_update(
                    written, sorted({*columns, *derived_columns, "version", "updated_at"}), batch_size=500
                )
                audit_each(actor, Verb.UPDATE, audits)
    return before_all


def owned_delete_many[R: OwnedRecord](*, actor: Actor, model: type[R], versions: dict[int, int]) -> int:
    """Move records to the recycle bin, each only if still at the given version (else a Conflict)."""
    now = clock.now()
    deleted = 0
    with transaction.atomic():
        ids = sorted(versions)
        for start in range(0, len(ids), BULK_BATCH):
            records = list(model.all_objects.filter(pk__in=ids[start : start + BULK_BATCH], deleted_at__isnull=True))
            for record in records:
                require_change(actor, record)
                if record.version != versions[record.pk]:
                    raise Conflict(
                        _("“%(name)s” was changed after it was imported; nothing was reverted.") % {"name": record}
                    )
            model.all_objects.filter(pk__in=[record.pk for record in records]).update(deleted_at=now)
            for record in records:
                record.deleted_at = now
            audit_each(actor, Verb.DELETE, [(record, {}) for record in records])
            deleted += len(records)
    return deleted


def _customer_derive(record: Customer) -> None:
    _keep_derived_columns(record)


def _contact_derive(record: Contact) -> None:
    _keep_derived_columns(record)


def customer_create_many(*, actor: Actor, drafts: Sequence[dict[str, Any]]) -> list[Customer]:
    """Create customers from cleaned values (customer_cleaners) plus `owner_id`, in bulk."""
    return owned_create_many(
        actor=actor, model=Customer, drafts=drafts, audit_fields=CUSTOMER_FIELDS, derive=_customer_derive
    )


def customer_update_many(*, actor: Actor, changes: Sequence[tuple[Customer, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Change customers read earlier with cleaned values; returns the old values per customer."""
    with transaction.atomic():
        before_all = owned_update_many(
            actor=actor,
            model=Customer,
            changes=changes,
            derive=_customer_derive,
            derived_columns=["search_text", "name_key"],
        )
        pairs = list(zip((record.pk for record, _values in changes), before_all, strict=True))
        _neglect_follows(
            owner_changed=[pk for pk, before in pairs if "owner" in before],
            grade_changed=[pk for pk, before in pairs if "grade" in before],
        )
    return before_all


def customer_delete_many(*, actor: Actor, versions: dict[int, int]) -> int:
    return owned_delete_many(actor=actor, model=Customer, versions=versions)


def _visible_customers(actor: Actor, customer_ids: Iterable[int]) -> None:
    wanted = set(customer_ids)
    found = {row[0]: row for row in Customer.objects.filter(pk__in=wanted).values_list("pk", "owner_id", "team_id")}
    for customer_id in wanted:
        row = found.get(customer_id)
        if row is None or not can_see(actor, owner_id=row[1], team_id=row[2]):
            raise _invalid("customer", _("Choose a customer you can see."))


def contact_create_many(*, actor: Actor, drafts: Sequence[dict[str, Any]]) -> list[Contact]:
    """Create contacts from cleaned values (contact_cleaners) plus `owner_id` and `customer_id`."""
    _visible_customers(actor, {draft["customer_id"] for draft in drafts if draft.get("customer_id")})
    return owned_create_many(
        actor=actor, model=Contact, drafts=drafts, audit_fields=CONTACT_FIELDS, derive=_contact_derive
    )


def contact_update_many(*, actor: Actor, changes: Sequence[tuple[Contact, dict[str, Any]]]) -> list[dict[str, Any]]:
    _visible_customers(actor, {values["customer_id"] for _c, values in changes if values.get("customer_id")})
    return owned_update_many(
        actor=actor,
        model=Contact,
        changes=changes,
        derive=_contact_derive,
        derived_columns=["search_text", "name_key"],
    )


def contact_delete_many(*, actor: Actor, versions: dict[int, int]) -> int:
    return owned_delete_many(actor=actor, model=Contact, versions=versions)
