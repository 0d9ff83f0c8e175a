"""Background jobs of the customers app (run by `crm worker`)."""

from __future__ import annotations

from django.tasks import task

from crm.core.actors import system_actor
from crm.customers.duplicates.scan_runs import scan_run
from crm.customers.neglect import customers_flag_neglected
from crm.customers.services import records_follow_owner_team


@task()
def move_records_to_owner_team(*, user_id: int) -> int:
    """Idempotent: records already in the owner's team are left alone."""
    return records_follow_owner_team(actor=system_actor("move_records_to_owner_team"), user_id=user_id)


@task()
def duplicate_scan_run(*, scan_id: int) -> int:
    """Run a duplicate scan started from the web; returns how many pairs it found."""
    return scan_run(scan_id=scan_id).pairs_found


@task()
def flag_neglected_customers() -> int:
    """Idempotent: flags and notices are written once per neglect."""
    return customers_flag_neglected(actor=system_actor("flag_neglected_customers")).flagged
