"""Writing audit entries. Called by every other app's services inside their transaction."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.db import connection, models
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.audit.models import AuditEntry, Verb
from crm.audit.selectors import changes_since
from crm.core.actors import Actor
from crm.core.bulk_insert import columns_of, write_rows
from crm.core.errors import Conflict


def _plain(value: Any) -> Any:
    """A JSON-safe rendering of a field value for the diff."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple | set):
        return sorted(_plain(item) for item in value)
    return value


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The current values of `fields`, as they will appear in a diff."""
    values: dict[str, Any] = {}
    for name in fields:
        field = instance._meta.get_field(name)
        attname = getattr(field, "attname", name)
        values[name] = _plain(getattr(instance, attname))
    return values


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for every field whose value changed."""
    return {
        name: [_plain(before.get(name)), _plain(after.get(name))]
        for name in after
        if _plain(before.get(name)) != _plain(after.get(name))
    }


def target_type_of(instance: models.Model) -> str:
    return f"{instance._meta.app_label}.{instance._meta.model_name}"


def audit_record(
    *,
    actor: Actor,
    verb: Verb,
    target: models.Model | None = None,
    target_type: str = "",
    changes: Mapping[str, Any] | None = None,
    ip_address: str | None = None,
) -> AuditEntry:
    """Append one entry; call inside the transaction that made the change."""
    return AuditEntry.objects.create(**_entry_fields(actor, verb, target, target_type, changes, ip_address))


def audit_record_many(
    *, actor: Actor, verb: Verb, targets: Iterable[models.Model], changes: Mapping[str, Any] | None = None
) -> int:
    """Append one entry per target with a single bulk insert (bulk operations, demo data)."""
    entries = [AuditEntry(**_entry_fields(actor, verb, target, "", changes, None)) for target in targets]
    AuditEntry.objects.bulk_create(entries, batch_size=2000)
    return len(entries)


# (target id, target repr, target version, changes) of one record, for `audit_record_each`.
EntryRow = tuple[int, str, int | None, Mapping[str, Any]]
_ENTRY_COLUMNS = ("created_at", "actor_id", "actor_name", "source", "verb", "target_type", "target_id",
                  "target_repr", "target_version", "changes", "ip_address")  # fmt: skip


def audit_record_each(*, actor: Actor, verb: Verb, target_type: str, rows: Sequence[EntryRow]) -> int:
    """Append one entry per record, each with its own changes, all stamped with one time (bulk writes).

    An import writes a hundred thousand entries in one transaction. They go to the table as plain
    rows (crm.core.bulk_insert), with `changes` encoded as the JSON field encodes them: no model
    instance and no field conversion per entry.
    """
    if not rows:
        return 0
    meta = AuditEntry._meta
    encoder = meta.get_field("changes").encoder
    stamp = meta.get_field("created_at").get_db_prep_save(timezone.now(), connection)
    head = (stamp, actor.user_id, actor.label[:150], str(actor.source), str(verb), target_type)
    values = [
        (*head, target_id, target_repr[:200], version, json.dumps(dict(changes), cls=encoder), None)
        for target_id, target_repr, version, changes in rows
    ]
    write_rows(connection.ops.quote_name(meta.db_table), columns_of(AuditEntry, _ENTRY_COLUMNS), values)
    return len(values)


def _entry_fields(
    actor: Actor,
    verb: Verb,
    target: models.Model | None,
    target_type: str,
    changes: Mapping[str, Any] | None,
    ip_address: str | None,
) -> dict[str, Any]:
    return {
        "actor_id": actor.user_id,
        "actor_name": actor.label[:150],
        "source": actor.source,
        "verb": verb,
        "target_type": target_type_of(target) if target is not None else target_type,
        "target_id": target.pk if target is not None else None,
        "target_repr": str(target)[:200] if target is not None else "",
        "target_version": getattr(target, "version", None),
        "changes": dict(changes or {}),
        "ip_address": ip_address,
    }


def save_versioned(
    *,
    actor: Actor,
    instance: models.Model,
    expected_version: int,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    extra_columns: Mapping[str, Any] | None = None,
) -> dict[str, list[Any]]:
    """Write `after` onto the row only if nobody saved it since `expected_version`.

    The conditional UPDATE is the lock: of two editors who read the same version, the
    second matches no row and gets a Conflict listing what the first one changed.
    Returns the audited diff (empty when nothing changed, in which case nothing is written).
    """
    model = type(instance)
    manager = getattr(model, "all_objects", model._default_manager)
    changes = diff(before, after)
    current_version = int(getattr(instance, "version", 0))
    if current_version != expected_version:
        _raise_conflict(instance, expected_version)
    if not changes:
        return changes
    columns: dict[str, Any] = {}
    for name in after:
        field = model._meta.get_field(name)
        if field.many_to_many:
            continue
        attname = getattr(field, "attname", name)
        columns[attname] = getattr(instance, attname)
    columns.update(extra_columns or {})
    columns["updated_at"] = timezone.now()
    updated = manager.filter(pk=instance.pk, version=expected_version).update(**columns, version=F("version") + 1)
    if updated == 0:
        _raise_conflict(instance, expected_version)
    instance.version = expected_version + 1  # type: ignore[attr-defined]
    instance.updated_at = columns["updated_at"]  # type: ignore[attr-defined]
    audit_record(actor=actor, verb=Verb.UPDATE, target=instance, changes=changes)
    return changes


def _raise_conflict(instance: models.Model, expected_version: int) -> None:
    entries = changes_since(target_type=target_type_of(instance), target_id=int(instance.pk), version=expected_version)
    changed = [
        {
            "field": field,
            "old": values[0],
            "new": values[1],
            "by": entry.actor_name,
            "at": entry.created_at.isoformat(),
        }
        for entry in entries
        for field, values in entry.changes.items()
        if isinstance(values, list) and len(values) == 2
    ]
    raise Conflict(
        _("Someone else saved this record after you opened it. Review their changes and try again."),
        extra={"changes": changed},
    )
