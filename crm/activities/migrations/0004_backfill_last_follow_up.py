"""Fill `Customer.last_follow_up_at` from the follow-ups already logged (the activities services keep it)."""

from django.db import migrations
from django.db.models import OuterRef, Subquery


def backfill(apps, schema_editor):  # type: ignore[no-untyped-def]
    Customer = apps.get_model("customers", "Customer")
    Activity = apps.get_model("activities", "Activity")
    latest = (
        Activity.objects.filter(customer_id=OuterRef("pk"), deleted_at__isnull=True)
        .order_by("-occurred_at", "-id")
        .values("occurred_at")[:1]
    )
    Customer.objects.update(last_follow_up_at=Subquery(latest))


class Migration(migrations.Migration):
    dependencies = [
        ("activities", "0003_tasks_from_planned_follow_ups"),
        ("customers", "0007_neglected_customers"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
