"""Housekeeping jobs of the kernel itself."""

from __future__ import annotations

from django.tasks import task

from crm.core.scheduling import prune_slots


@task()
def prune_scheduled_slots(*, keep_days: int = 30) -> int:
    """Idempotent: the record of old scheduler runs is only needed to de-duplicate recent ones."""
    return prune_slots(keep_days=keep_days)
