# The running totals of each stage's deals (the board's column headers).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("deals", "0023_owner_board_totals_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="StageTotals",
            fields=[
                (
                    "stage",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="deals.stage",
                        verbose_name="stage",
                    ),
                ),
                ("deal_count", models.BigIntegerField(default=0, verbose_name="deals")),
                (
                    "amount_cents",
                    models.DecimalField(decimal_places=0, default=0, max_digits=38, verbose_name="amount in cents"),
                ),
                (
                    "weighted_cent_percent",
                    models.DecimalField(
                        decimal_places=0,
                        default=0,
                        max_digits=38,
                        verbose_name="weighted amount in cents times probability",
                    ),
                ),
            ],
            options={
                "verbose_name": "stage totals",
                "verbose_name_plural": "stage totals",
            },
        ),
    ]
