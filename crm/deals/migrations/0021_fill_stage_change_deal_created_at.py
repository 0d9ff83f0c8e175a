# Fill StageChange.deal_created_at from the deals, set-based.

from typing import Any

from django.db import migrations
from django.db.models import OuterRef, Subquery


def fill(apps: Any, schema_editor: Any) -> None:
    """One UPDATE: every stage change (of deleted deals too) gets its deal's creation time."""
    Deal = apps.get_model("deals", "Deal")
    StageChange = apps.get_model("deals", "StageChange")
    created = Deal._base_manager.filter(pk=OuterRef("deal_id")).values("created_at")[:1]
    StageChange._base_manager.filter(deal_created_at__isnull=True).update(deal_created_at=Subquery(created))


class Migration(migrations.Migration):
    dependencies = [
        ("deals", "0020_stage_change_deal_created_at"),
    ]

    # Backwards the column goes away with 0020; its values need no undoing.
    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
