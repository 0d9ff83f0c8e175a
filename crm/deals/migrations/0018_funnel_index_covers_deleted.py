# The funnel's index also holds deleted_at (always empty in it): SQLite reads an index alone only when it
# holds every column the query names, and the funnel's queries name deleted_at.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("deals", "0017_win_loss_index"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="deal",
            name="deal_funnel",
        ),
        migrations.AddIndex(
            model_name="deal",
            index=models.Index(
                condition=models.Q(("deleted_at__isnull", True)),
                fields=["pipeline", "created_at", "furthest_stage", "amount", "owner", "team", "deleted_at"],
                name="deal_funnel",
            ),
        ),
    ]
