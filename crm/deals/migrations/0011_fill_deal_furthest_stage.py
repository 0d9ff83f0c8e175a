# Fill Deal.furthest_stage from each deal's stage history and its current stage, set-based.

from typing import Any

from django.db import migrations
from django.db.models import OuterRef, Q, Subquery

LOST = "lost"


def fill(apps: Any, schema_editor: Any) -> None:
    """One UPDATE: for every deal (deleted ones too), the highest-positioned open or won stage among
    its current stage and every stage its history moved it to."""
    Deal = apps.get_model("deals", "Deal")
    Stage = apps.get_model("deals", "Stage")
    StageChange = apps.get_model("deals", "StageChange")
    entered = StageChange.objects.filter(deal_id=OuterRef(OuterRef("pk"))).values("to_stage_id")
    furthest = (
        Stage.objects.filter(Q(pk=OuterRef("stage_id")) | Q(pk__in=entered))
        .exclude(kind=LOST)
        .order_by("-position", "-id")
        .values("pk")[:1]
    )
    Deal._base_manager.update(furthest_stage_id=Subquery(furthest))


class Migration(migrations.Migration):
    dependencies = [
        ("deals", "0010_deal_furthest_stage"),
    ]

    # Backwards the column goes away with 0010; its values need no undoing.
    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
