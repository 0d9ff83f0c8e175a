"""Checking every row of a file before anything is written: clean, resolve, match, permit.

Rows are cleaned with the same cleaners the services use, owners and customers are resolved
by natural key, and existing records are found by the chosen match key with a few bulk
`IN (…)` queries (never one query per row). The result says, per row, create, update or
reject (with the reason), plus warnings about likely duplicates.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.access.visibility import can_change, can_see, masks_contact_info
from crm.core.actors import Actor
from crm.core.errors import ValidationFailed
from crm.customers.duplicates.check import is_own_customer
from crm.customers.duplicates.keys import key_in
from crm.customers.duplicates.lookup import Candidate, duplicate_candidates_many
from crm.customers.duplicates.normalise import company_key, email_key, person_key
from crm.customers.models import Contact, Customer, OwnedRecord
from crm.customers.services import MASKED_FIELDS, may_own
from crm.customers.validation import Cleaner, clean_fields, contact_cleaners, customer_cleaners
from crm.identity.models import User
from crm.identity.rights import user_of
from crm.imports.mapping import label_of
from crm.imports.models import MatchKey, Mode, ObjectType
from crm.leads.models import Lead
from crm.leads.validation import lead_cleaners

CHUNK = 500
MAX_WARNINGS = 1000

Progress = Callable[[int], None]


@dataclass
class Rejected:
    row: int
    cells: list[str]
    reason: str


@dataclass
class Checked:
    """The verdict on every row of a file."""

    total: int = 0
    creates: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    updates: list[tuple[int, OwnedRecord, dict[str, Any]]] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    warnings: list[tuple[int, str]] = field(default_factory=list)
    warning_count: int = 0
    # Owner id → that owner's records the file's rows look like (撞单), for one notice per owner.
    collisions: dict[int, Collision] = field(default_factory=dict)

    def warn(self, row: int, message: str) -> None:
        self.warning_count += 1
        if len(self.warnings) < MAX_WARNINGS:
            self.warnings.append((row, message))

    def collide(self, owner_id: int, candidate: Candidate, row: int) -> None:
        collision = self.collisions.setdefault(owner_id, Collision())
        collision.records.setdefault((candidate.object_type, candidate.target_id), row)
        collision.rows.add(row)


@dataclass
class Collision:
    """Records of one owner that rows of the file look like: (object type, id) → first row."""

    records: dict[tuple[str, int], int] = field(default_factory=dict)
    rows: set[int] = field(default_factory=set)


def model_of(object_type: str) -> type[OwnedRecord]:
    return {ObjectType.LEADS: Lead, ObjectType.CUSTOMERS: Customer, ObjectType.CONTACTS: Contact}[
        ObjectType(object_type)
    ]


def cleaners_of(object_type: str) -> dict[str, Cleaner]:
    if object_type == ObjectType.LEADS:
        cleaners = lead_cleaners()
        cleaners.pop("channel")  # imported leads always come from the import channel
        cleaners.pop("raw_submission")
        return cleaners
    return customer_cleaners() if object_type == ObjectType.CUSTOMERS else contact_cleaners()


def _chunks[T](items: Iterable[T]) -> Iterable[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def _phone_fields(object_type: str) -> tuple[str, ...]:
    return ("phone",) if object_type == ObjectType.CUSTOMERS else ("mobile", "phone")


def match_value(object_type: str, key: str, cleaned: dict[str, Any]) -> str:
    """The row's value of the match key, normalised as the stored column is."""
    if key == MatchKey.EXTERNAL_ID:
        return str(cleaned.get("external_id") or "")
    if key == MatchKey.EMAIL:
        return email_key(str(cleaned.get("email") or ""))
    if key == MatchKey.PHONE:
        # Phones are cleaned to E.164 already, the form they are stored in.
        return next((str(cleaned[f]) for f in _phone_fields(object_type) if cleaned.get(f)), "")
    if object_type == ObjectType.CUSTOMERS:
        return company_key(str(cleaned.get("name") or ""))
    if object_type == ObjectType.CONTACTS:
        return person_key(str(cleaned.get("name") or ""))
    return company_key(str(cleaned.get("company_name") or ""))


def _match_condition(object_type: str, key: str, values: list[str]) -> Q:
    if key == MatchKey.EXTERNAL_ID:
        return Q(external_id__in=values)
    if key == MatchKey.EMAIL:
        return key_in("email", values)
    if key == MatchKey.PHONE:
        condition = Q()
        for name in _phone_fields(object_type):
            condition |= key_in(name, values)
        return condition
    return key_in("name_key", values)


def _record_keys(object_type: str, key: str, record: OwnedRecord) -> list[str]:
    if key == MatchKey.EXTERNAL_ID:
        return [record.external_id or ""]
    if key == MatchKey.EMAIL:
        return [getattr(record, "email", "")]
    if key == MatchKey.PHONE:
        return [getattr(record, name, "") for name in _phone_fields(object_type)]
    return [record.name_key]


def find_existing(object_type: str, key: str, values: Iterable[str]) -> dict[str, list[OwnedRecord]]:
    """Existing records (deleted ones included) by match-key value, a bulk query per chunk."""
    model = model_of(object_type)
    found: dict[str, list[OwnedRecord]] = defaultdict(list)
    for chunk in _chunks(sorted(set(values) - {""})):
        wanted = set(chunk)
        for record in model.all_objects.filter(_match_condition(object_type, key, chunk)):
            for value in set(_record_keys(object_type, key, record)) & wanted:
                found[value].append(record)
    return found


class OwnerLookup:
    """Owners by username or full name (active users only); ambiguous full names are refused."""

    def __init__(self) -> None:
        self.by_username: dict[str, User] = {}
        self.by_name: dict[str, list[User]] = defaultdict(list)
        for user in User.objects.filter(is_active=True).select_related("role"):
            self.by_username[user.username.lower()] = user
            if user.full_name:
                self.by_name[user.full_name.strip().lower()].append(user)

    def resolve(self, text: str) -> User:
        wanted = text.strip().lower()
        user = self.by_username.get(wanted)
        if user is not None:
            return user
        named = self.by_name.get(wanted, [])
        if len(named) == 1:
            return named[0]
        if named:
            raise ValueError(_("Several users are called “%(name)s”; use the username.") % {"name": text})
        raise ValueError(_("No active user is called “%(name)s”.") % {"name": text})


def _customers_by_reference(actor: Actor, references: set[str]) -> dict[str, list[Customer]]:
    """Customers the actor can see, by external ID, exact name or normalised name."""
    found: dict[str, list[Customer]] = defaultdict(list)
    keyed = {reference: company_key(reference) for reference in references}
    for chunk in _chunks(sorted(references)):
        keys = [keyed[reference] for reference in chunk if keyed[reference]]
        customers = Customer.objects.filter(Q(external_id__in=chunk) | Q(name__in=chunk) | key_in("name_key", keys))
        by_key: dict[str, list[Customer]] = defaultdict(list)
        for customer in customers.only("pk", "name", "external_id", "name_key", "owner_id", "team_id"):
            if can_see(actor, owner_id=customer.owner_id, team_id=customer.team_id):
                by_key[customer.external_id or ""].append(customer)
                if customer.name not in (customer.external_id or ""):
                    by_key[customer.name].append(customer)
                by_key["\0" + customer.name_key].append(customer)
        for reference in chunk:
            exact = by_key.get(reference) or by_key.get("\0" + keyed[reference]) or []
            found[reference] = list({customer.pk: customer for customer in exact}.values())
    return found


def _reason(object_type: str, error: ValidationFailed) -> str:
    if not error.errors:
        return error.message
    return "; ".join(f"{label_of(object_type, item.field)}: {item.message}" for item in error.errors)


@dataclass
class _Row:
    number: int
    cells: list[str]
    cleaned: dict[str, Any]
    owner: User | None
    customer_ref: str
    key: str


def check_rows(
    *,
    actor: Actor,
    object_type: str,
    mode: str,
    match_key: str,
    headers: list[str],
    mapping: list[str],
    rows: list[tuple[int, list[str]]],
    progress: Progress | None = None,
) -> Checked:
    """Decide, for every row, create / update / reject, without writing anything."""
    checked = Checked(total=len(rows))
    cleaners = cleaners_of(object_type)
    owners = OwnerLookup() if "owner" in mapping else None
    acting_user = user_of(actor)
    may_own_cache: dict[int, bool] = {}
    pending: list[_Row] = []
    for index, (number, cells) in enumerate(rows, start=1):
        raw = {code: cells[position] for position, code in enumerate(mapping) if code and position < len(cells)}
        if mode != Mode.CREATE:
            # On update an empty cell leaves the stored value alone.
            raw = {code: value for code, value in raw.items() if value != ""}
        try:
            cleaned = clean_fields({k: v for k, v in raw.items() if k in cleaners}, cleaners)
            owner = None
            if owners is not None and raw.get("owner"):
                try:
                    owner = owners.resolve(raw["owner"])
                except ValueError as exc:
                    raise ValidationFailed(str(exc), errors=[]) from exc
        except ValidationFailed as exc:
            message = _reason(object_type, exc) if exc.errors else f"{label_of(object_type, 'owner')}: {exc.message}"
            checked.rejected.append(Rejected(number, cells, message))
            continue
        if object_type == ObjectType.LEADS:
            cleaned["raw_submission"] = {headers[i]: cells[i] for i in range(min(len(headers), len(cells)))}
        key = match_value(object_type, match_key, cleaned)
        pending.append(_Row(number, cells, cleaned, owner, str(raw.get("customer", "")).strip(), key))
        if progress is not None and index % 2000 == 0:
            progress(index // 2)
    if progress is not None:
        progress(len(rows) // 2)

    existing = find_existing(object_type, match_key, (row.key for row in pending))
    by_external_id: dict[str, list[OwnedRecord]] = {}
    if match_key != MatchKey.EXTERNAL_ID:
        external_ids = [str(row.cleaned.get("external_id") or "") for row in pending]
        by_external_id = find_existing(object_type, MatchKey.EXTERNAL_ID, external_ids)
    customers = (
        _customers_by_reference(actor, {row.customer_ref for row in pending if row.customer_ref})
        if object_type == ObjectType.CONTACTS
        else {}
    )
    seen: dict[str, int] = {}
    seen_external: dict[str, int] = {}

    def reject(row: _Row, reason: str) -> None:
        checked.rejected.append(Rejected(row.number, row.cells, reason))

    for position, row in enumerate(pending, start=1):
        if progress is not None and position % 2000 == 0:
            progress(len(rows) // 2 + position // 2)
        values = dict(row.cleaned)
        if row.customer_ref:
            matches = customers.get(row.customer_ref, [])
            if len(matches) != 1:
                label = label_of(object_type, "customer")
                if matches:
                    message = _("several customers match “%(ref)s”; use the external ID") % {"ref": row.customer_ref}
                else:
                    message = _("no customer you can see matches “%(ref)s”") % {"ref": row.customer_ref}
                reject(row, f"{label}: {message}")
                continue
            values["customer_id"] = matches[0].pk
        if row.key and row.key in seen:
            reject(
                row,
                _("Same %(key)s as row %(row)d of this file.")
                % {"key": MatchKey(match_key).label, "row": seen[row.key]},
            )
            continue
        external_id = str(values.get("external_id") or "")
        if external_id and external_id in seen_external:
            reject(row, _("Same external ID as row %(row)d of this file.") % {"row": seen_external[external_id]})
            continue
        matched = existing.get(row.key, []) if row.key else []
        if len(matched) > 1:
            reject(
                row,
                _("Matches %(count)d existing records; it is not clear which one to update.") % {"count": len(matched)},
            )
            continue
        record = matched[0] if matched else None
        if record is None and mode == Mode.UPDATE:
            if not row.key:
                reject(row, _("Nothing to match on: the %(key)s is empty.") % {"key": MatchKey(match_key).label})
            else:
                reject(row, _("No existing record has this %(key)s.") % {"key": MatchKey(match_key).label})
            continue
        if record is not None and mode == Mode.CREATE:
            reject(
                row,
                _("Already exists (same %(key)s); choose “update” or “create or update” to change it.")
                % {"key": MatchKey(match_key).label},
            )
            continue
        if external_id and match_key != MatchKey.EXTERNAL_ID:
            holders = [
                other for other in by_external_id.get(external_id, []) if record is None or other.pk != record.pk
            ]
            if holders:
                reject(row, _("Another record already uses this external ID."))
                continue
        if record is not None and record.deleted_at is not None:
            reject(row, _("Matches a record in the recycle bin; restore it first."))
            continue
        if row.key:
            seen[row.key] = row.number
        if external_id:
            seen_external[external_id] = row.number
        if record is None:
            owner = row.owner or acting_user
            if owner is None:
                reject(row, _("Choose an owner."))
                continue
            if owner.pk not in may_own_cache:
                may_own_cache[owner.pk] = may_own(actor, owner)
            if not may_own_cache[owner.pk]:
                reject(row, _("You may not create records for %(name)s.") % {"name": owner})
                continue
            values["owner_id"] = owner.pk
            checked.creates.append((row.number, values))
            continue
        if not can_change(actor, record):
            reject(row, _("Matches an existing record you may not change."))
            continue
        if masks_contact_info(actor, owner_id=record.owner_id) and any(
            values[name] != getattr(record, name) for name in MASKED_FIELDS & values.keys()
        ):
            reject(row, _("You may not change the phone or email of a record you do not own."))
            continue
        if row.owner is not None and row.owner.pk != record.owner_id:
            if row.owner.pk not in may_own_cache:
                may_own_cache[row.owner.pk] = may_own(actor, row.owner)
            if not may_own_cache[row.owner.pk]:
                reject(row, _("You may not hand records over to %(name)s.") % {"name": row.owner})
                continue
            values["owner_id"] = row.owner.pk
        if object_type == ObjectType.LEADS:
            values.pop("raw_submission", None)
        checked.updates.append((row.number, record, values))
    checked.rejected.sort(key=lambda item: item.row)
    return checked


def _kind_label(object_type: str) -> str:
    return {"leads": _("lead"), "customers": _("customer"), "contacts": _("contact")}.get(object_type, "")


def _note(candidate: Candidate) -> str:
    """One line about a likely duplicate; the owner only when the importer may not see it."""
    if candidate.visible:
        return _("Looks like %(kind)s “%(name)s” (score %(score)d: %(reasons)s).") % {
            "kind": _kind_label(candidate.object_type),
            "name": candidate.name,
            "score": candidate.score,
            "reasons": "; ".join(candidate.reasons),
        }
    return _("Looks like a %(kind)s owned by %(owner)s since %(since)s.") % {
        "kind": _kind_label(candidate.object_type),
        "owner": candidate.owner_name,
        "since": timezone.localdate(candidate.owner_since).isoformat(),
    }


def warn_duplicates(
    *, actor: Actor, object_type: str, checked: Checked, block_cells: dict[int, list[str]] | None = None
) -> None:
    """Score new rows against existing leads, customers and contacts, as the forms do.

    Candidates are found by the forms' keys (credit code, phones, email, company and person
    name keys) with one IN query per key kind, source and batch of rows, and scored with
    `crm.customers.duplicates.scoring` (name typos, swapped order, addresses, regions…).
    Rows with candidates are flagged, or with `block_cells` (the policy for this object is
    "block") rejected, their cells kept for the rejected-rows file. Matches owned by someone
    else are collected in `checked.collisions` so their owners can be told once per import.
    """
    numbers = [number for number, _values in checked.creates]
    found = duplicate_candidates_many(
        viewer=actor, values=[values for _number, values in checked.creates], object_type=object_type
    )
    notes: dict[int, list[str]] = {}
    for number, (_n, values), candidates in zip(numbers, checked.creates, found, strict=True):
        candidates = [c for c in candidates if not is_own_customer(c, object_type, values)]
        if not candidates:
            continue
        notes[number] = list(dict.fromkeys(_note(candidate) for candidate in candidates[:3]))
        for candidate in candidates:
            if candidate.owner_id is not None and candidate.owner_id != actor.user_id:
                checked.collide(candidate.owner_id, candidate, number)
    if block_cells is not None and notes:
        checked.creates = [(number, values) for number, values in checked.creates if number not in notes]
        for number in sorted(notes):
            checked.rejected.append(Rejected(number, block_cells.get(number, []), " ".join(notes[number])))
        checked.rejected.sort(key=lambda rejected: rejected.row)
        return
    for number in sorted(notes):
        checked.warn(number, " ".join(notes[number]))
