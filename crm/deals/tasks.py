"""Background jobs of the deals app (run by `crm worker`, scheduled in config/schedule.py)."""

from __future__ import annotations

from django.tasks import task

from crm.core.actors import system_actor
from crm.deals.stalling import deals_flag_stalled


@task()
def flag_stalled_deals() -> int:
    """Idempotent: flags and notices are written once per stall."""
    return deals_flag_stalled(actor=system_actor("flag_stalled_deals")).flagged
