# The board totals' index also holds the id (counted) and deleted_at (always empty in it), so both databases
# read it alone: without them PostgreSQL read the whole table, and SQLite chose the funnel's index once that
# one held deleted_at and fetched every deal of the pipeline.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("deals", "0018_funnel_index_covers_deleted"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="deal",
            name="deal_pipeline_totals",
        ),
        migrations.AddIndex(
            model_name="deal",
            index=models.Index(
                condition=models.Q(("deleted_at__isnull", True)),
                fields=["pipeline", "stage", "amount", "probability", "id", "deleted_at"],
                name="deal_pipeline_totals",
            ),
        ),
    ]
