# The furthest open or won stage each deal has reached, for the sales funnel (filled by 0011).

from typing import Any

import django.db.models.deletion
from django.db import migrations, models
from django.db.migrations.operations.base import Operation

from crm.core.search import DropSearchIndex, RestoreSearchIndex


class OnlyWhenReversed(Operation):
    """Runs `operation` backwards only.

    SQLite adds a nullable column in place, keeping the search triggers, but removes a foreign key
    column by rebuilding the table, which drops them: the search index is set aside and rebuilt
    around the removal only.
    """

    reversible = True

    def __init__(self, operation: Operation) -> None:
        self.operation = operation

    def state_forwards(self, app_label: str, state: Any) -> None:
        return None

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        return None

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        self.operation.database_backwards(app_label, schema_editor, from_state, to_state)

    def describe(self) -> str:
        return f"When reversed: {self.operation.describe()}"


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
