"""Background jobs of the contracts app (run by `crm worker`, scheduled in config/schedule.py)."""

from __future__ import annotations

from django.tasks import task

from crm.contracts.services import contracts_expire, contracts_remind_renewals
from crm.core.actors import system_actor


@task()
def remind_contract_renewals() -> int:
    """Idempotent: each contract's owner is reminded once (the reminder is claimed by a conditional update)."""
    return contracts_remind_renewals(actor=system_actor("remind_contract_renewals"))


@task()
def expire_contracts() -> int:
    """Idempotent: only contracts still active and past their end date change."""
    return contracts_expire(actor=system_actor("expire_contracts"))
