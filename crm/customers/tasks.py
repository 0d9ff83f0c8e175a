"""Background jobs of the customers app (run by `crm worker`)."""

from __future__ import annotations

from django.tasks import task

from crm.core.actors import system_actor
from crm.customers.services import records_follow_owner_team


@task()
def move_records_to_owner_team(*, user_id: int) -> int:
    """Idempotent: records already in the owner's team are left alone."""
    return records_follow_owner_team(actor=system_actor("move_records_to_owner_team"), user_id=user_id)
