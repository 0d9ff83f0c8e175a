# The stage each lost deal was lost from, for the win/loss analysis (filled by 0016).

import django.db.models.deletion
from django.db import migrations, models

from crm.core.search import DropSearchIndex, OnlyWhenReversed, RestoreSearchIndex


class Migration(migrations.Migration):
    dependencies = [
        ("deals", "0014_list_filter_indexes"),
    ]

    operations = [
        OnlyWhenReversed(DropSearchIndex(table="deals_deal")),
        migrations.AddField(
            model_name="deal",
            name="lost_from_stage",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="deals.stage",
                verbose_name="lost from stage",
            ),
        ),
        OnlyWhenReversed(RestoreSearchIndex(table="deals_deal")),
    ]
