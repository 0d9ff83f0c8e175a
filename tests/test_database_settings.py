"""Each connection starts with the settings the CRM's queries are planned for."""

from __future__ import annotations

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def _one(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return str(cursor.fetchone()[0]).lower()


def test_connections_start_with_the_settings_the_reports_and_writers_need() -> None:
    if connection.vendor == "postgresql":
        # the reports' groupings stay in memory
        assert _one("SHOW work_mem") == "64mb"
    else:
        # foreign keys are checked and temporary sort tables stay in memory
        assert (_one("PRAGMA foreign_keys"), _one("PRAGMA temp_store")) == ("1", "2")
