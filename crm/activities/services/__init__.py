"""Every write to follow-ups and tasks."""

from crm.activities.services.follow_ups import (
    activity_create,
    activity_delete,
    activity_mark_done,
    activity_restore,
    activity_update,
    last_follow_ups_refresh,
)
from crm.activities.services.reminders import daily_digest_send, task_reminders_send
from crm.activities.services.tasks import (
    calendar_feed_reset,
    task_complete,
    task_create,
    task_delete,
    task_reopen,
    task_update,
    tasks_follow_customers,
    tasks_follow_owner_team,
    tasks_from_planned_contacts,
)

__all__ = [
    "activity_create",
    "activity_delete",
    "activity_mark_done",
    "activity_restore",
    "activity_update",
    "calendar_feed_reset",
    "daily_digest_send",
    "last_follow_ups_refresh",
    "task_complete",
    "task_create",
    "task_delete",
    "task_reminders_send",
    "task_reopen",
    "task_update",
    "tasks_follow_customers",
    "tasks_follow_owner_team",
    "tasks_from_planned_contacts",
]
