"""Set a load's indexes aside and build them once at its end, on SQLite and on PostgreSQL.

Keeping a dozen B-tree indexes (and a trigram index) up to date row by row costs far more than
building each once from the finished table. SQLite uses the project's own helpers; on PostgreSQL
the demo drops the tables' plain indexes itself (and skips the per-row foreign-key triggers),
which is only safe because nobody else uses a database while it is being seeded. Unique indexes
and check constraints stay, so those rules are still checked as rows arrive.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from django.db import DatabaseError, connection, models, transaction

from crm.core.bulk_loading import plain_indexes_deferred
from crm.core.search import search_index_deferred


@contextmanager
def indexes_deferred(*models_: type[models.Model], searchable: tuple[type[models.Model], ...] = ()) -> Iterator[None]:
    """Drop the models' plain indexes (and the search index of `searchable`) and rebuild them at the end."""
    if connection.vendor == "postgresql":
        with _postgresql_indexes_deferred([model._meta.db_table for model in models_]):
            yield
        return
    with ExitStack() as stack:
        if searchable:
            stack.enter_context(search_index_deferred(*searchable))
        stack.enter_context(plain_indexes_deferred(*models_))
        yield


@contextmanager
def _postgresql_indexes_deferred(tables: list[str]) -> Iterator[None]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i "
            "WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s) "
            "AND i.indexdef NOT LIKE 'CREATE UNIQUE%%' "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
            [tables],
        )
        dropped: list[tuple[str, str]] = list(cursor.fetchall())
        for name, _definition in dropped:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    try:
        with _foreign_key_checks_skipped():
            yield
    finally:
        with connection.cursor() as cursor:
            # Index builds sort in memory up to this much, and use parallel workers where allowed.
            cursor.execute("SET maintenance_work_mem = '512MB'")
            for _name, definition in dropped:
                cursor.execute(definition)
            cursor.execute("RESET maintenance_work_mem")


@contextmanager
def _foreign_key_checks_skipped() -> Iterator[None]:
    """Skip PostgreSQL's per-row foreign-key triggers, half the cost of a load, where the role may.

    The loaders only write ids they have just read back or inserted, so every reference holds by
    construction (the demo's tests check them). Only a superuser may change the replication role;
    anyone else loads with the checks on, more slowly.
    """
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
    except DatabaseError:
        yield
        return
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET session_replication_role")
