# Fill Deal.lost_from_stage from each lost deal's stage history, set-based.

from typing import Any

from django.db import migrations
from django.db.models import OuterRef, Subquery

LOST = "lost"


def fill(apps: Any, schema_editor: Any) -> None:
    """One UPDATE: every lost deal (deleted ones too) gets the stage its last move into a lost stage came from."""
    Deal = apps.get_model("deals", "Deal")
    StageChange = apps.get_model("deals", "StageChange")
    lost_from = (
        StageChange.objects.filter(deal_id=OuterRef("pk"), to_stage__kind=LOST)
        .order_by("-moved_at", "-id")
        .values("from_stage_id")[:1]
    )
    Deal._base_manager.filter(stage__kind=LOST).update(lost_from_stage_id=Subquery(lost_from))


class Migration(migrations.Migration):
    dependencies = [
        ("deals", "0015_deal_lost_from_stage"),
    ]

    # Backwards the column goes away with 0015; its values need no undoing.
    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
