"""Django settings, driven entirely by config.env.Env."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

import dj_database_url
from django.utils.csp import CSP

from config.env import BASE_DIR, Env

ENV = Env.load()

SECRET_KEY = ENV.secret_key
DEBUG = ENV.debug
ALLOWED_HOSTS = ENV.allowed_hosts
CSRF_TRUSTED_ORIGINS = ENV.csrf_trusted_origins

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    "django_htmx",
    "ninja",  # serves the API docs' Swagger UI from our static files, not a CDN
    "django_tasks_db",
    "crm.core",
    "crm.identity",
    "crm.notifications",
    "crm.access",
    "crm.audit",
    "crm.approvals",
    "crm.customers",
    "crm.leads",
    "crm.quotes",
    "crm.deals",
    "crm.contracts",
    "crm.payments",
    "crm.activities",
    "crm.imports",
    "crm.api",
    "crm.web",
    "crm.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "crm.web.middleware.NulCharacterGuardMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "crm.identity.middleware.UserLanguageMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "crm.identity.middleware.ActiveUserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "crm.web.context_processors.navigation",
            ],
        },
    }
]


def _database(url: str) -> dict[str, Any]:
    config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=60))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets readers run while one writer writes; IMMEDIATE takes the write lock at
        # BEGIN so concurrent writers queue on busy_timeout instead of failing mid-transaction.
        # Connections are kept between requests (conn_max_age above) as on PostgreSQL: a new one
        # parses the schema and starts with a cold page cache, a quarter of a list page's time.
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=NORMAL;"
                "PRAGMA foreign_keys=ON;"
                "PRAGMA cache_size=-64000;"
                "PRAGMA mmap_size=268435456;"
                "PRAGMA temp_store=MEMORY;"
            ),
        }
        config["TEST"] = {"NAME": None}
    else:
        config["CONN_HEALTH_CHECKS"] = True
        # Reports group hundreds of thousands of rows (receivables by customer: 180,000 groups); in the
        # server's default 4 MB such a grouping spills to disk and takes half as long again. This is per
        # sort or hash of a running query, per connection; an `options` in DATABASE_URL replaces it.
        config.setdefault("OPTIONS", {}).setdefault("options", "-c work_mem=64MB")
    return config


DATABASES = {"default": _database(ENV.database_url)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def _task_backend(name: str, redis_url: str) -> dict[str, Any]:
    """`TASK_BACKEND`: jobs wait in the database (one machine, no broker) or in Redis (workers on
    several machines, crm/core/rq_backend.py); `immediate` runs each job inside the request."""
    if name == "redis":
        return {"BACKEND": "crm.core.rq_backend.RedisTaskBackend", "OPTIONS": {"URL": redis_url}}
    if name == "immediate":
        return {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}
    return {"BACKEND": "django_tasks_db.DatabaseBackend"}


TASKS = {"default": _task_backend(ENV.task_backend, ENV.redis_url)}

AUTH_USER_MODEL = "identity.User"
AUTHENTICATION_BACKENDS = ["crm.identity.authentication.UsernameOrEmailBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "identity:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "identity:login"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14

LANGUAGE_CODE = ENV.language_code
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = ENV.time_zone
USE_I18N = True
USE_TZ = True
LANGUAGE_COOKIE_NAME = "crm_language"

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if ENV.production
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True
# Uploaded files (signed contract scans). Never served as static files: downloads go through views
# that check who may see the record.
MEDIA_ROOT = BASE_DIR / "var" / "media"


def _mailer(url: str) -> dict[str, Any]:
    """`console://` prints mail to the log; `smtp://user:password@host:port` (or smtps://) sends it."""
    parsed = urlsplit(url)
    if parsed.scheme in {"", "console"}:
        return {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
    return {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": parsed.hostname or "localhost",
            "port": parsed.port or (465 if parsed.scheme == "smtps" else 25),
            "username": unquote(parsed.username or ""),
            "password": unquote(parsed.password or ""),
            "use_ssl": parsed.scheme == "smtps",
            "use_tls": parsed.scheme == "smtp+tls",
            "timeout": 10,
        },
    }


MAILERS = {"default": _mailer(ENV.email_url)}
DEFAULT_FROM_EMAIL = ENV.default_from_email

# Reverse proxies whose X-Forwarded-For is believed (crm/core/client_address.py): the sign-in throttle and
# the web forms' per-address limit must see the visitor's address, not the proxy's.
CRM_TRUSTED_PROXIES = ENV.trusted_proxies
CRM_LOGIN_FAILURE_LIMIT = ENV.login_failure_limit
CRM_LOGIN_FAILURE_WINDOW_MINUTES = ENV.login_failure_window_minutes

# Only our own scripts run: no inline <script>, no inline event handlers, nothing from elsewhere.
# Alpine.js evaluates its attribute expressions, hence 'unsafe-eval'; htmx and the API docs
# inject styles, hence inline styles.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.UNSAFE_EVAL],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
if ENV.production:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
