"""Reading the audit log: the admin browser and per-record history."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet

from crm.audit.models import AuditEntry


@dataclass(frozen=True)
class AuditFilters:
    actor_id: int | None = None
    verb: str = ""
    target_type: str = ""
    target_id: int | None = None
    source: str = ""
    since: dt.datetime | None = None
    until: dt.datetime | None = None


def audit_list(*, filters: AuditFilters) -> QuerySet[AuditEntry]:
    """Entries matching `filters`, newest first. Callers check `can_view_audit` first."""
    entries = AuditEntry.objects.all()
    if filters.actor_id is not None:
        entries = entries.filter(actor_id=filters.actor_id)
    if filters.verb:
        entries = entries.filter(verb=filters.verb)
    if filters.target_type:
        entries = entries.filter(target_type=filters.target_type)
    if filters.target_id is not None:
        entries = entries.filter(target_id=filters.target_id)
    if filters.source:
        entries = entries.filter(source=filters.source)
    if filters.since is not None:
        entries = entries.filter(created_at__gte=filters.since)
    if filters.until is not None:
        entries = entries.filter(created_at__lt=filters.until)
    return entries


def history_of(
    *, target_type: str, target_ids: list[int], limit: int = 200, before: dt.datetime | None = None
) -> list[AuditEntry]:
    """The latest entries about the given records, only those made before `before` if given
    (visibility is the caller's job)."""
    if not target_ids:
        return []
    entries = AuditEntry.objects.filter(target_type=target_type, target_id__in=target_ids)
    if before is not None:
        entries = entries.filter(created_at__lt=before)
    return list(entries.order_by("-id")[:limit])


def changes_since(*, target_type: str, target_id: int, version: int) -> list[AuditEntry]:
    """Updates saved after `version` of a record, oldest first: what a conflicting editor missed."""
    return list(
        AuditEntry.objects.filter(target_type=target_type, target_id=target_id, target_version__gt=version).order_by(
            "id"
        )
    )
