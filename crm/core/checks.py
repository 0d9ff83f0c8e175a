"""System checks for combinations of settings that cannot work together."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register


@register()
def check_database_engine(app_configs: Any, **kwargs: Any) -> list[Error]:
    engine = settings.DATABASES["default"]["ENGINE"]
    supported = {"django.db.backends.sqlite3", "django.db.backends.postgresql"}
    if engine not in supported:
        return [
            Error(
                f"Unsupported database engine {engine}.",
                hint="Set DATABASE_URL to sqlite:///path or postgres://user@host/name.",
                id="crm.E001",
            )
        ]
    return []
