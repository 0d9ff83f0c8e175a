"""Time between two datetime columns, computed by the database itself.

Django subtracts datetimes on SQLite through a Python function it registers with the connection,
called once per row: over a hundred thousand rows that costs seconds. This expression uses each
database's own arithmetic instead and gives seconds as a float.
"""

from __future__ import annotations

from typing import Any

from django.db.models import F, FloatField, Func


class SecondsBetween(Func):
    """`end - start` in seconds (NULL when either is NULL)."""

    output_field = FloatField()
    # PostgreSQL (the project's other database): interval arithmetic, then its length in seconds.
    sql_template = "EXTRACT(EPOCH FROM ({end} - {start}))::double precision"
    # SQLite keeps datetimes as ISO text in UTC, which julianday() reads (in days).
    sqlite_template = "((julianday({end}) - julianday({start})) * 86400.0)"

    def __init__(self, start: str, end: str, **extra: Any) -> None:
        super().__init__(F(start), F(end), **extra)

    def as_sql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:  # type: ignore[override]
        return self._difference(compiler, self.sql_template)

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return self._difference(compiler, self.sqlite_template)

    def _difference(self, compiler: Any, template: str) -> tuple[str, list[Any]]:
        start, end = self.get_source_expressions()
        start_sql, start_params = compiler.compile(start)
        end_sql, end_params = compiler.compile(end)
        return template.format(end=end_sql, start=start_sql), [*end_params, *start_params]
