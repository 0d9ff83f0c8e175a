"""Background jobs of the activities app (run by `crm worker`, scheduled in config/schedule.py)."""

from __future__ import annotations

from django.tasks import task

from crm.activities import mailing
from crm.activities.services import (
    daily_digest_send,
    last_follow_ups_refresh,
    task_reminders_send,
    tasks_follow_customers,
    tasks_follow_owner_team,
)
from crm.core.actors import system_actor


@task()
def send_task_reminders() -> int:
    """Idempotent: a reminder is claimed before it is sent, so it rings once however often this runs."""
    reminded = task_reminders_send(actor=system_actor("send_task_reminders"))
    for reminded_task in reminded:
        mailing.reminder_email(reminded_task)
    return len(reminded)


@task()
def send_daily_digest() -> int:
    """Idempotent per day: a user who already has today's digest is skipped."""
    digests = daily_digest_send(actor=system_actor("send_daily_digest"))
    for digest in digests:
        mailing.digest_email(digest)
    return len(digests)


@task()
def move_tasks_with_customers(*, customer_ids: list[int], owner_id: int) -> int:
    """Idempotent: tasks already with the new owner are left alone."""
    return tasks_follow_customers(
        actor=system_actor("move_tasks_with_customers"), customer_ids=customer_ids, owner_id=owner_id
    )


@task()
def move_tasks_to_owner_team(*, user_id: int) -> int:
    return tasks_follow_owner_team(actor=system_actor("move_tasks_to_owner_team"), user_id=user_id)


@task()
def refresh_last_follow_ups(*, customer_ids: list[int]) -> int:
    """Idempotent: recomputes the customers' last follow-up time from their follow-ups."""
    return last_follow_ups_refresh(customer_ids=customer_ids)
