"""Typed view of the environment variables that configure the CRM.

Every setting that may differ between installs is read here, once, with an explicit type.
docs/configuration.md lists the same variables; a test keeps the two in step.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

# The key a laptop install starts with; a production start refuses it.
DEFAULT_SECRET_KEY = "insecure-development-key-change-me"  # noqa: S105
# Where background jobs wait: the database (default), Redis for several workers, or nowhere (run at once).
TASK_BACKENDS = ("database", "redis", "immediate")


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {raw!r}")


def _list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if not raw:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


@dataclass(frozen=True)
class Env:
    """Configuration read from the environment (see docs/configuration.md)."""

    debug: bool
    production: bool
    secret_key: str
    database_url: str
    allowed_hosts: list[str]
    csrf_trusted_origins: list[str]
    time_zone: str
    language_code: str
    email_url: str
    default_from_email: str
    login_failure_limit: int
    login_failure_window_minutes: int
    task_backend: str
    redis_url: str
    trusted_proxies: list[str]

    @classmethod
    def load(cls) -> Env:
        production = _bool("CRM_PRODUCTION", default=False)
        secret_key = os.environ.get("SECRET_KEY", DEFAULT_SECRET_KEY)
        if production and secret_key == DEFAULT_SECRET_KEY:
            raise ImproperlyConfigured("SECRET_KEY must be set to a long random value when CRM_PRODUCTION is true.")
        sqlite_file = BASE_DIR / "var" / "crm.sqlite3"
        task_backend = os.environ.get("TASK_BACKEND") or "database"
        if task_backend not in TASK_BACKENDS:
            raise ImproperlyConfigured(f"TASK_BACKEND must be one of {', '.join(TASK_BACKENDS)}, got {task_backend!r}")
        return cls(
            debug=_bool("DEBUG", default=False),
            production=production,
            secret_key=secret_key,
            database_url=os.environ.get("DATABASE_URL") or f"sqlite:///{sqlite_file}",
            allowed_hosts=_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"]),
            csrf_trusted_origins=_list("CSRF_TRUSTED_ORIGINS", []),
            time_zone=os.environ.get("TIME_ZONE", "Asia/Shanghai"),
            language_code=os.environ.get("LANGUAGE_CODE", "zh-hans"),
            email_url=os.environ.get("EMAIL_URL", "console://"),
            default_from_email=os.environ.get("DEFAULT_FROM_EMAIL", "crm@localhost"),
            login_failure_limit=int(os.environ.get("LOGIN_FAILURE_LIMIT", "5")),
            login_failure_window_minutes=int(os.environ.get("LOGIN_FAILURE_WINDOW_MINUTES", "15")),
            task_backend=task_backend,
            redis_url=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0",
            trusted_proxies=_list("TRUSTED_PROXIES", []),
        )
