"""The database's indexes and triggers, to check a load leaves the schema as the migrations made it."""

from django.db import connection


def schema() -> list[tuple[str, ...]]:
    """Indexes and triggers of the database, as its own catalogue describes them."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name")
        else:
            cursor.execute(
                "SELECT 'index', indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
                "UNION ALL SELECT 'trigger', tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal "
                "ORDER BY 2"
            )
        return [tuple(row) for row in cursor.fetchall()]
