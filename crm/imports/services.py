"""Every write of the import pipeline: upload, mapping, templates, run and revert.

Records are written only through the owning apps' bulk services (lead_create_many,
customer_update_many, …), so imports obey the same permission, validation and audit rules
as the screens. A run checks every row first and then writes all accepted rows in batches
inside one transaction: it either imports every accepted row or, on any failure, nothing.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from crm.audit.models import Verb
from crm.audit.services import audit_record
from crm.core import clock
from crm.core.actors import Actor, Source
from crm.core.errors import Conflict, DomainError, FieldError, PermissionDenied, ValidationFailed
from crm.core.events import publish_on_commit
from crm.core.search import search_index_deferred
from crm.customers.duplicates.check import detail_url, policy_of, target_type_of
from crm.customers.duplicates.sources import source_of
from crm.customers.models import DuplicateMode, OwnedRecord
from crm.customers.services import (
    contact_create_many,
    contact_delete_many,
    contact_update_many,
    customer_create_many,
    customer_delete_many,
    customer_update_many,
)
from crm.customers.validation import clean_fields
from crm.identity.models import User
from crm.identity.rights import user_of
from crm.imports.checking import Checked, check_rows, cleaners_of, model_of, warn_duplicates
from crm.imports.events import ImportJobQueued
from crm.imports.mapping import clean_mapping, guess_mapping, label_of
from crm.imports.models import ImportJob, JobStatus, MappingTemplate, MatchKey, Mode, ObjectType
from crm.imports.reading import Table, file_error, max_bytes, read_table
from crm.imports.selectors import import_job_get
from crm.leads.services import lead_create_many, lead_delete_many, lead_update_many
from crm.notifications.models import NotificationKind
from crm.notifications.services import Notice, notify

logger = logging.getLogger(__name__)

PREVIEW_ROWS = 20
DEFER_SEARCH_INDEX_FROM = 2000
# Read one byte more than the cap from an upload, so a file over it is refused by name.
MAX_UPLOAD_READ = max_bytes() + 1
PROGRESS_SECONDS = 1.0


def import_actor(user: User) -> Actor:
    """Imports act as the person who started them, through the import channel."""
    return Actor(user=user, source=Source.IMPORT)


def _invalid(name: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, errors=[FieldError(field=name, message=message)])


def _signed_in(actor: Actor) -> User:
    user = user_of(actor)
    if user is None or not user.is_active:
        raise PermissionDenied(_("Sign in first."))
    return user


def _choices(object_type: str, mode: str, match_key: str) -> None:
    if object_type not in ObjectType.values:
        raise _invalid("object_type", _("Choose leads, customers or contacts."))
    if mode not in Mode.values:
        raise _invalid("mode", _("Choose create, update or create-or-update."))
    if match_key not in MatchKey.values:
        raise _invalid("match_key", _("Choose external ID, phone, email or name."))


def import_job_create(
    *,
    actor: Actor,
    object_type: str,
    file_name: str,
    data: bytes,
    mode: str = Mode.UPSERT,
    match_key: str = MatchKey.EXTERNAL_ID,
    mapping: Sequence[str] | None = None,
    template_id: int | None = None,
    dry_run: bool = False,
) -> ImportJob:
    """Accept an upload: read it (refusing unreadable files), guess or apply the column mapping."""
    user = _signed_in(actor)
    _choices(object_type, mode, match_key)
    table = read_table(data, file_name)
    if not table.rows:
        raise file_error(_("The file has column names but no rows to import."))
    saved: dict[str, str] | None = None
    if template_id is not None:
        template = MappingTemplate.objects.filter(pk=template_id, created_by=user, object_type=object_type).first()
        if template is None:
            raise _invalid("template", _("Choose one of your saved mappings."))
        saved = template.mapping
    if mapping is not None:
        columns = clean_mapping(object_type, table.headers, list(mapping))
    else:
        columns = guess_mapping(object_type, table.headers, saved)
    return ImportJob.objects.create(
        created_by=user,
        object_type=object_type,
        mode=mode,
        match_key=match_key,
        dry_run=dry_run,
        file_name=file_name[:255],
        file_data=data,
        headers=table.headers,
        mapping=columns,
        sample_rows=[[number, cells] for number, cells in table.rows[:PREVIEW_ROWS]],
        total_rows=len(table.rows),
    )


def _draft(actor: Actor, job_id: int) -> ImportJob:
    job = import_job_get(viewer=actor, job_id=job_id)
    if job.status != JobStatus.DRAFT:
        raise ValidationFailed(_("This import has already been started."))
    return job


def _check_mapping(job: ImportJob) -> None:
    """The columns an import needs: a name to create records, and the column it matches on."""
    mapped = set(job.mapping)
    if not mapped - {""}:
        raise _invalid("mapping", _("Map at least one column to a field."))
    if job.mode != Mode.UPDATE and "name" not in mapped:
        raise _invalid("mapping", _("Map a column to “%(field)s”: new records need it.") % {
            "field": label_of(job.object_type, "name")
        })  # fmt: skip
    needs = {
        MatchKey.EXTERNAL_ID: {"external_id"},
        MatchKey.EMAIL: {"email"},
        MatchKey.PHONE: {"phone"} if job.object_type == ObjectType.CUSTOMERS else {"mobile", "phone"},
        MatchKey.NAME: {"company_name"} if job.object_type == ObjectType.LEADS else {"name"},
    }[MatchKey(job.match_key)]
    if job.mode != Mode.CREATE and not needs & mapped:
        raise _invalid(
            "match_key",
            _("Map the column to match on (%(fields)s), or choose another match key.")
            % {"fields": ", ".join(label_of(job.object_type, code) for code in sorted(needs))},
        )


def import_job_configure(
    *, actor: Actor, job_id: int, mapping: Sequence[str], mode: str, match_key: str, dry_run: bool = False
) -> ImportJob:
    """Set the column mapping and options of an import that has not started yet."""
    job = _draft(actor, job_id)
    _choices(job.object_type, mode, match_key)
    job.mapping = clean_mapping(job.object_type, job.headers, list(mapping))
    job.mode, job.match_key, job.dry_run = mode, match_key, dry_run
    _check_mapping(job)
    job.save(update_fields=["mapping", "mode", "match_key", "dry_run", "updated_at"])
    return job


def mapping_template_save(*, actor: Actor, job_id: int, name: str) -> MappingTemplate:
    """Save an import's mapping (header → field) under a name, replacing one of the same name."""
    user = _signed_in(actor)
    job = import_job_get(viewer=actor, job_id=job_id)
    name = name.strip()
    if not name or len(name) > 100:
        raise _invalid("template_name", _("Give the mapping a name of at most 100 characters."))
    mapping = {header: code for header, code in zip(job.headers, job.mapping, strict=False) if code}
    template, _created = MappingTemplate.objects.update_or_create(
        created_by=user, object_type=job.object_type, name=name, defaults={"mapping": mapping}
    )
    return template


def _table(job: ImportJob) -> Table:
    return read_table(bytes(job.file_data), job.file_name)


def _check(
    actor: Actor, job: ImportJob, rows: list[tuple[int, list[str]]], progress: Callable[[int], None] | None
) -> Checked:
    checked = check_rows(
        actor=actor,
        object_type=job.object_type,
        mode=job.mode,
        match_key=job.match_key,
        headers=job.headers,
        mapping=job.mapping,
        rows=rows,
        progress=progress,
    )
    policy = policy_of(job.object_type)
    if policy != DuplicateMode.ALLOW:
        # The administrators' duplicate policy for this object: "warn" flags the rows, "block" rejects them.
        block_cells = dict(rows) if policy == DuplicateMode.BLOCK else None
        warn_duplicates(actor=actor, object_type=job.object_type, checked=checked, block_cells=block_cells)
    return checked


@dataclass
class PreviewRow:
    number: int
    cells: list[str]
    action: str  # "create", "update" or "reject"
    message: str = ""
    warnings: list[str] = field(default_factory=list)


def import_job_preview(*, actor: Actor, job_id: int, limit: int = PREVIEW_ROWS) -> list[PreviewRow]:
    """What the first `limit` rows would do, checked exactly as the run will check them."""
    job = import_job_get(viewer=actor, job_id=job_id)
    rows = [(int(number), list(cells)) for number, cells in job.sample_rows[:limit]]
    checked = _check(actor, job, rows, None)
    verdicts: dict[int, PreviewRow] = {}
    notes: dict[int, list[str]] = {}
    for number, message in checked.warnings:
        notes.setdefault(number, []).append(message)
    for number, _values in checked.creates:
        verdicts[number] = PreviewRow(number, [], "create", warnings=notes.get(number, []))
    for number, _record, _values in checked.updates:
        verdicts[number] = PreviewRow(number, [], "update")
    for item in checked.rejected:
        verdicts[item.row] = PreviewRow(item.row, [], "reject", message=item.reason)
    result = []
    for number, cells in rows:
        verdict = verdicts[number]
        verdict.cells = cells
        result.append(verdict)
    return result


def import_job_queue(*, actor: Actor, job_id: int, background: bool = True) -> ImportJob:
    """Start a configured import: in the background (`crm worker` runs it) or by the caller (the CLI)."""
    with transaction.atomic():
        job = _draft(actor, job_id)
        _check_mapping(job)
        job.status = JobStatus.QUEUED
        job.save(update_fields=["status", "updated_at"])
        if background:
            publish_on_commit(ImportJobQueued(job_id=job.pk))
    return job


def _set_progress(job_id: int, every: float = PROGRESS_SECONDS) -> Callable[[int], None]:
    """Store how many rows are checked, at most once per `every` seconds.

    Each report is a write of its own (on SQLite a commit), so a fast check of a big file
    reports by the clock, not by the row: a progress bar polled every few seconds loses nothing.
    """
    last = time.monotonic()

    def report(done: int) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last >= every:
            last = now
            ImportJob.objects.filter(pk=job_id).update(processed_rows=done)

    return report


def _create_many(
    actor: Actor, object_type: str, drafts: list[dict[str, Any]], *, owners_given: bool
) -> list[OwnedRecord]:
    if object_type == ObjectType.LEADS:
        # Assignment rules choose owners unless the file names them.
        return list(lead_create_many(actor=actor, drafts=drafts, assign=not owners_given))
    if object_type == ObjectType.CUSTOMERS:
        return list(customer_create_many(actor=actor, drafts=drafts))
    return list(contact_create_many(actor=actor, drafts=drafts))


def _update_many(actor: Actor, object_type: str, changes: list[tuple[Any, dict[str, Any]]]) -> list[dict[str, Any]]:
    if object_type == ObjectType.LEADS:
        return lead_update_many(actor=actor, changes=changes)
    if object_type == ObjectType.CUSTOMERS:
        return customer_update_many(actor=actor, changes=changes)
    return contact_update_many(actor=actor, changes=changes)


def _delete_many(actor: Actor, object_type: str, versions: dict[int, int]) -> int:
    if object_type == ObjectType.LEADS:
        return lead_delete_many(actor=actor, versions=versions)
    if object_type == ObjectType.CUSTOMERS:
        return customer_delete_many(actor=actor, versions=versions)
    return contact_delete_many(actor=actor, versions=versions)


def _store_verdicts(job: ImportJob, checked: Checked) -> None:
    job.total_rows = checked.total
    job.processed_rows = checked.total
    job.rejected_count = len(checked.rejected)
    job.rejected = [{"row": item.row, "cells": item.cells, "reason": item.reason} for item in checked.rejected]
    job.warning_count = checked.warning_count
    job.warnings = [{"row": row, "message": message} for row, message in checked.warnings]


def _write(actor: Actor, job: ImportJob, checked: Checked) -> None:
    """Every accepted row in one transaction, with the job's record of how to undo it."""
    drafts = [values for _n, values in checked.creates]
    # SQLite's trigram index costs milliseconds per row inserted one by one once the table is
    # large; for a big import the new rows are indexed together at the end instead (inside this
    # transaction), and only they: rebuilding the whole index would cost as much as the table holds.
    deferred = (
        search_index_deferred(model_of(job.object_type), new_rows_only=True)
        if len(drafts) >= DEFER_SEARCH_INDEX_FROM
        else nullcontext()
    )
    with deferred:
        created = _create_many(actor, job.object_type, drafts, owners_given="owner" in job.mapping)
    changes = [(record, values) for _n, record, values in checked.updates]
    befores = _update_many(actor, job.object_type, changes)
    job.created_ids = [record.pk for record in created]
    job.previous_values = {
        str(record.pk): {"version": record.version, "values": before}
        for (record, _values), before in zip(changes, befores, strict=True)
        if before
    }
    job.created_count = len(created)
    job.updated_count = len(job.previous_values)
    job.unchanged_count = len(changes) - job.updated_count


def import_job_run(*, actor: Actor, job_id: int) -> ImportJob:
    """Check every row, then write the accepted ones; a failure leaves no record written.

    Idempotent: a job that is not queued is returned as it is.
    """
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None or job.status != JobStatus.QUEUED:
        return job  # type: ignore[return-value]
    job.status, job.started_at, job.processed_rows = JobStatus.RUNNING, clock.now(), 0
    job.save(update_fields=["status", "started_at", "processed_rows", "updated_at"])
    # Hundreds of thousands of long-lived rows, records and audit entries would make the cyclic
    # garbage collector rescan them over and over; none of them form cycles worth collecting here.
    collecting = gc.isenabled()
    gc.disable()
    try:
        table = _table(job)
        checked = _check(actor, job, table.rows, _set_progress(job.pk))
        _store_verdicts(job, checked)
        if job.dry_run:
            job.created_count, job.updated_count = len(checked.creates), len(checked.updates)
        else:
            ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.WRITING, processed_rows=checked.total)
            with transaction.atomic():
                _write(actor, job, checked)
                _notify_collisions(actor, job, checked)
                _finish(actor, job)
                return job
        with transaction.atomic():
            _finish(actor, job)
    except DomainError as exc:
        _fail(job, exc.message)
    except Exception:
        logger.exception("import job %s failed", job.pk)
        _fail(job, _("The import failed unexpectedly; nothing was written. Try again or contact your administrator."))
    finally:
        if collecting:
            gc.enable()
    return job


COLLISION_NAMES_SHOWN = 5


def _notify_collisions(actor: Actor, job: ImportJob, checked: Checked) -> None:
    """Tell each owner of matched records once per import (撞单): how many, which, and a link.

    A file of thousands of rows matching one colleague's records makes one notice, not one per row.
    """
    if not checked.collisions:
        return
    owners = {user.pk: user for user in User.objects.filter(pk__in=checked.collisions, is_active=True)}
    names = _record_names(
        [key for collision in checked.collisions.values() for key in list(collision.records)[:COLLISION_NAMES_SHOWN]]
    )
    importer = actor.label
    for owner_id, collision in checked.collisions.items():
        owner = owners.get(owner_id)
        if owner is None:
            continue
        first_type, first_id = next(iter(collision.records))
        count, rows = len(collision.records), len(collision.rows)
        shown = [names.get(key, "") for key in list(collision.records)[:COLLISION_NAMES_SHOWN]]
        listed = "、".join(name for name in shown if name)

        def title(count: int = count, rows: int = rows) -> str:
            return ngettext(
                "%(actor)s imported %(rows)d row that looks like your records (%(count)d)",
                "%(actor)s imported %(rows)d rows that look like your records (%(count)d)",
                rows,
            ) % {"actor": importer, "rows": rows, "count": count}

        def body(count: int = count, listed: str = listed, more: int = count - len(shown)) -> str:
            text = _("File: %(file)s. Matches: %(names)s") % {"file": job.file_name, "names": listed}
            if more > 0:
                text += " " + ngettext("and %(more)d more.", "and %(more)d more.", more) % {"more": more}
            return text

        notify(
            [owner],
            Notice(
                kind=NotificationKind.DUPLICATE_COLLISION,
                title=lazy(title, str)(),
                body=lazy(body, str)(),
                url=detail_url(first_type, first_id),
                target_type=target_type_of(first_type),
                target_id=first_id,
            ),
        )


def _record_names(keys: list[tuple[str, int]]) -> dict[tuple[str, int], str]:
    wanted: dict[str, list[int]] = {}
    for object_type, record_id in keys:
        wanted.setdefault(object_type, []).append(record_id)
    names: dict[tuple[str, int], str] = {}
    for object_type, ids in wanted.items():
        model = source_of(object_type).model
        for record_id, name in model._default_manager.filter(pk__in=ids).values_list("pk", "name"):
            names[(object_type, record_id)] = name
    return names


def _finish(actor: Actor, job: ImportJob) -> None:
    job.status, job.finished_at = JobStatus.DONE, clock.now()
    job.save()
    audit_record(
        actor=actor,
        verb=Verb.CREATE,
        target=job,
        changes={
            "object_type": job.object_type,
            "mode": job.mode,
            "dry_run": job.dry_run,
            "created": job.created_count,
            "updated": job.updated_count,
            "rejected": job.rejected_count,
        },
    )


def _fail(job: ImportJob, message: str) -> None:
    job.status, job.finished_at, job.error = JobStatus.FAILED, clock.now(), message
    job.created_count = job.updated_count = job.unchanged_count = 0
    job.created_ids, job.previous_values = [], {}
    job.save()


def _restored(job: ImportJob, before: dict[str, Any]) -> dict[str, Any]:
    """The values an update replaced, as cleaned values the update services accept again."""
    cleaners = cleaners_of(job.object_type)
    values = clean_fields({key: value for key, value in before.items() if key in cleaners}, cleaners)
    if "owner" in before:
        values["owner_id"] = before["owner"]
    if "customer_id" in before:
        values["customer_id"] = before["customer_id"]
    return values


def import_job_revert(*, actor: Actor, job_id: int) -> ImportJob:
    """Undo an import: its new records go to the recycle bin, updated fields get their old values.

    Refused (nothing changes) when any of those records was edited after the import, since
    reverting would throw that later work away.
    """
    with transaction.atomic():
        job = import_job_get(viewer=actor, job_id=job_id)
        if job.status != JobStatus.DONE or job.dry_run:
            raise ValidationFailed(_("Only a finished import that wrote records can be reverted."))
        ImportJob.objects.select_for_update().filter(pk=job.pk).first()
        model = model_of(job.object_type)
        _delete_many(actor, job.object_type, dict.fromkeys(job.created_ids, 1))
        previous = {int(pk): entry for pk, entry in job.previous_values.items()}
        records = model.all_objects.in_bulk(list(previous))
        changes = []
        for pk, entry in previous.items():
            record = records.get(pk)
            if record is None or record.version != entry["version"] or record.deleted_at is not None:
                raise Conflict(
                    _("“%(name)s” was changed after it was imported; nothing was reverted.") % {"name": record or pk}
                )
            changes.append((record, _restored(job, entry["values"])))
        _update_many(actor, job.object_type, changes)
        job.status, job.reverted_at = JobStatus.REVERTED, clock.now()
        job.save(update_fields=["status", "reverted_at", "updated_at"])
        audit_record(
            actor=actor,
            verb=Verb.UPDATE,
            target=job,
            changes={
                "status": [JobStatus.DONE, JobStatus.REVERTED],
                "reverted_created": len(job.created_ids),
                "reverted_updated": len(changes),
            },
        )
    return job
