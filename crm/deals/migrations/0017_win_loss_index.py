# The win/loss analysis's covering index, built once the lost-from stages are filled (0016).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("deals", "0016_fill_deal_lost_from_stage"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="deal",
            index=models.Index(
                condition=models.Q(("closed_at__isnull", False), ("deleted_at__isnull", True)),
                fields=[
                    "closed_at",
                    "pipeline",
                    "stage",
                    "amount",
                    "owner",
                    "team",
                    "close_reason",
                    "lost_from_stage",
                    "competitor",
                    "id",
                    "deleted_at",
                ],
                name="deal_closed",
            ),
        ),
    ]
