"""Every planned next contact that is still open becomes a task, so one list holds what is due."""

from __future__ import annotations

from typing import Any

from django.db import migrations

BATCH = 5000


def planned_contacts_to_tasks(apps: Any, schema_editor: Any) -> None:
    activity_model = apps.get_model("activities", "Activity")
    task_model = apps.get_model("activities", "Task")
    planned = (
        activity_model.objects.filter(
            deleted_at__isnull=True, is_next_contact_done=False, next_contact_on__isnull=False
        )
        .order_by("id")
        .values_list(
            "id", "owner_id", "team_id", "customer_id", "contact_id", "next_step", "content", "next_contact_on"
        )
    )
    batch = []
    for pk, owner_id, team_id, customer_id, contact_id, next_step, content, due_on in planned.iterator(BATCH):
        batch.append(
            task_model(
                title=(next_step or content)[:200],
                due_on=due_on,
                owner_id=owner_id,
                team_id=team_id,
                created_by_id=owner_id,
                customer_id=customer_id,
                contact_id=contact_id,
                source_activity_id=pk,
            )
        )
        if len(batch) >= BATCH:
            task_model.objects.bulk_create(batch)
            batch = []
    task_model.objects.bulk_create(batch)


def remove_follow_up_tasks(apps: Any, schema_editor: Any) -> None:
    apps.get_model("activities", "Task").objects.filter(source_activity__isnull=False).delete()


class Migration(migrations.Migration):
    dependencies = [("activities", "0002_tasks_and_calendar_feeds")]

    operations = [migrations.RunPython(planned_contacts_to_tasks, remove_follow_up_tasks)]
