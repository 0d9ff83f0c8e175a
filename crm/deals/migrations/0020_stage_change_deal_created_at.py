# Each stage change keeps its deal's creation time, for the sales funnel (filled by 0021, indexed by 0022).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("deals", "0019_board_totals_index_covers_deleted"),
    ]

    operations = [
        migrations.AddField(
            model_name="stagechange",
            name="deal_created_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="deal created at"),
        ),
    ]
