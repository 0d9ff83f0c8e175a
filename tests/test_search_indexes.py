"""Every searchable table keeps its substring index after all migrations.

On SQLite some schema changes rebuild a table, which silently drops its triggers: search would
then miss every record written afterwards. This test catches a migration that forgets to
restore them.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection


def _searchable_tables() -> list[str]:
    return sorted(
        model._meta.db_table
        for model in apps.get_models()
        if any(field.name == "search_text" for field in model._meta.get_fields())
    )


@pytest.mark.django_db
def test_every_searchable_table_has_its_search_index() -> None:
    # given every model with a maintained search_text
    tables = _searchable_tables()
    assert "customers_customer" in tables
    with connection.cursor() as cursor:
        for table in tables:
            if connection.vendor == "sqlite":
                # then its FTS5 table and all three triggers exist
                cursor.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s ORDER BY name", [table]
                )
                triggers = [row[0] for row in cursor.fetchall()]
                assert triggers == [f"{table}_fts_ad", f"{table}_fts_ai", f"{table}_fts_au"], table
            else:
                # then its trigram GIN index exists
                cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = %s", [f"{table}_search_trgm"])
                assert cursor.fetchone() is not None, table
