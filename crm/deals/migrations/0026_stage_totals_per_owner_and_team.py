# The stages' running totals split by owner and team, so a manager's or rep's board reads them too.
# The table is rebuilt (its key changes from the stage to stage, owner and team) and filled again
# from the deals, set-based; backwards, the per-stage table comes back filled the same way.

from typing import Any

import django.db.models.deletion
from django.db import migrations, models


def _insert_sums(apps: Any, schema_editor: Any, *, keys: list[str], selected: list[str]) -> None:
    """One INSERT … SELECT of the live deals' count, whole cents and cents times probability per key."""
    Deal = apps.get_model("deals", "Deal")
    StageTotals = apps.get_model("deals", "StageTotals")
    quote = schema_editor.connection.ops.quote_name
    # SQLite: whole cents as exact integers, not summed floats.
    sqlite = schema_editor.connection.vendor == "sqlite"
    cents = "CAST(ROUND(amount * 100) AS INTEGER)" if sqlite else "(amount * 100)"
    schema_editor.execute(
        f"INSERT INTO {quote(StageTotals._meta.db_table)} "  # noqa: S608  (table and column names are ours)
        f"({', '.join(keys)}, deal_count, amount_cents, weighted_cent_percent) "
        f"SELECT {', '.join(selected)}, COUNT(*), SUM({cents}), SUM({cents} * probability) "
        f"FROM {quote(Deal._meta.db_table)} WHERE deleted_at IS NULL GROUP BY {', '.join(selected)}"
    )


def fill(apps: Any, schema_editor: Any) -> None:
    keys = ["stage_id", "owner_id", "team_id"]
    _insert_sums(apps, schema_editor, keys=keys, selected=["stage_id", "owner_id", "COALESCE(team_id, 0)"])


def fill_per_stage(apps: Any, schema_editor: Any) -> None:
    _insert_sums(apps, schema_editor, keys=["stage_id"], selected=["stage_id"])


class Migration(migrations.Migration):
    dependencies = [
        ("deals", "0025_stage_totals_fill"),
    ]

    operations = [
        # Backwards only: the per-stage table recreated below (empty) is filled last.
        migrations.RunPython(migrations.RunPython.noop, fill_per_stage),
        migrations.DeleteModel(name="StageTotals"),
        migrations.CreateModel(
            name="StageTotals",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("owner_id", models.BigIntegerField(verbose_name="owner")),
                ("team_id", models.BigIntegerField(default=0, verbose_name="team")),
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
                (
                    "stage",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="deals.stage",
                        verbose_name="stage",
                    ),
                ),
            ],
            options={
                "verbose_name": "stage totals",
                "verbose_name_plural": "stage totals",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("stage", "owner_id", "team_id"), name="stage_totals_stage_owner_team"
                    )
                ],
            },
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
