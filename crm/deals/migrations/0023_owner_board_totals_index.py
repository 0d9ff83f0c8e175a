# The board totals of one owner's deals, read from an index of their own.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("deals", "0022_stage_change_cohort_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="deal",
            index=models.Index(
                condition=models.Q(("deleted_at__isnull", True)),
                fields=["owner", "pipeline", "stage", "amount", "probability", "id", "deleted_at"],
                name="deal_owner_totals",
            ),
        ),
    ]
