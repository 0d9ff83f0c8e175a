# The furthest open or won stage each deal has reached, for the sales funnel (filled by 0011).

import django.db.models.deletion
from django.db import migrations, models

from crm.core.search import DropSearchIndex, OnlyWhenReversed, RestoreSearchIndex


class Migration(migrations.Migration):
    dependencies = [
        ("deals", "0009_list_sort_indexes"),
    ]

    operations = [
        OnlyWhenReversed(DropSearchIndex(table="deals_deal")),
        migrations.AddField(
            model_name="deal",
            name="furthest_stage",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="deals.stage",
                verbose_name="furthest stage reached",
            ),
        ),
        OnlyWhenReversed(RestoreSearchIndex(table="deals_deal")),
    ]
