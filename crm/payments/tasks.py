"""Background jobs of the payments app (run by `crm worker`, scheduled in config/schedule.py)."""

from __future__ import annotations

from django.tasks import task

from crm.core.actors import system_actor
from crm.payments.services.overdue import instalments_notify_overdue


@task()
def notify_overdue_instalments() -> int:
    """Idempotent: each instalment tells its owner once and its manager once."""
    summary = instalments_notify_overdue(actor=system_actor("notify_overdue_instalments"))
    return summary.owners_told + summary.managers_told
