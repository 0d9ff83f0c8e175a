# The sales funnel's indexes, built once the furthest stages are filled rather than kept up during the fill.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("deals", "0011_fill_deal_furthest_stage"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="deal",
            index=models.Index(
                condition=models.Q(("deleted_at__isnull", True)),
                fields=["pipeline", "created_at", "furthest_stage", "amount", "owner", "team"],
                name="deal_funnel",
            ),
        ),
        migrations.AddIndex(
            model_name="stagechange",
            index=models.Index(
                condition=models.Q(("time_in_from_stage__isnull", False)),
                fields=["deal", "from_stage", "time_in_from_stage"],
                name="stage_change_time",
            ),
        ),
    ]
