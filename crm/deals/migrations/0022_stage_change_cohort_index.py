# The sales funnel's index of moves by stage and deal creation time, built once the times are filled (0021).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("deals", "0021_fill_stage_change_deal_created_at"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="stagechange",
            index=models.Index(
                condition=models.Q(("time_in_from_stage__isnull", False)),
                fields=["from_stage", "deal_created_at", "time_in_from_stage", "deal"],
                name="stage_change_cohort",
            ),
        ),
    ]
