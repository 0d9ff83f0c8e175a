"""Background jobs of the identity app (run by `crm worker`)."""

from __future__ import annotations

from django.tasks import task

from crm.core.actors import system_actor
from crm.identity.services import login_attempts_prune


@task()
def prune_login_attempts(*, older_than_days: int = 30) -> int:
    """Idempotent: deleting what is already gone deletes nothing."""
    return login_attempts_prune(actor=system_actor("prune_login_attempts"), older_than_days=older_than_days)
