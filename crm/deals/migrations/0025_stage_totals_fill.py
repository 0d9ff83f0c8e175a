# Fill the stages' running totals from the deals, set-based.

from typing import Any

from django.db import migrations


def fill(apps: Any, schema_editor: Any) -> None:
    """One INSERT … SELECT: count, whole cents and cents times probability of each stage's deals."""
    Deal = apps.get_model("deals", "Deal")
    StageTotals = apps.get_model("deals", "StageTotals")
    quote = schema_editor.connection.ops.quote_name
    # SQLite: whole cents as exact integers, not summed floats.
    sqlite = schema_editor.connection.vendor == "sqlite"
    cents = "CAST(ROUND(amount * 100) AS INTEGER)" if sqlite else "(amount * 100)"
    schema_editor.execute(
        f"INSERT INTO {quote(StageTotals._meta.db_table)} "  # noqa: S608  (table names are ours)
        "(stage_id, deal_count, amount_cents, weighted_cent_percent) "
        f"SELECT stage_id, COUNT(*), SUM({cents}), SUM({cents} * probability) "
        f"FROM {quote(Deal._meta.db_table)} WHERE deleted_at IS NULL GROUP BY stage_id"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("deals", "0024_stage_totals"),
    ]

    # Backwards the table goes away with 0024; its rows need no undoing.
    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
