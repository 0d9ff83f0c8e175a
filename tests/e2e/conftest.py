"""Browser fixtures: one Chromium per test process, a fresh browser context per test.

Every browser test runs against pytest-django's `live_server` on a transactional test
database, so the server thread sees what the test writes. The built-in roles come from a data
migration that each test's flush empties, so they are put back before every test. (Django's
`serialized_rollback` cannot do it here: once Playwright runs its event loop in the test thread,
Django keeps a second connection object that lacks the serialized data.)
"""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.core.servers.basehttp import WSGIServer
from django.test.testcases import LiveServerThread
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, expect, sync_playwright
from pytest_django.live_server_helper import LiveServer

# Playwright's sync API keeps an event loop running in the test thread; Django would otherwise
# refuse the ORM calls the tests make to arrange data.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}
LOCALE_DIR = Path(__file__).resolve().parents[2] / "locale"

expect.set_options(timeout=10_000)


class _SerialWSGIServer(WSGIServer):
    """Serves one request at a time.

    The live server shares the test's one in-memory SQLite connection; a threaded server lets a page
    and its lazily loaded panels use it at once, which SQLite answers with "bad parameter or other
    API misuse" (seen as a lost session). Django closes each connection after the response when the
    server is not threaded, so queued requests are not starved by keep-alive.
    """

    def __init__(self, *args: Any, connections_override: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)


LiveServerThread.server_class = _SerialWSGIServer  # type: ignore[assignment]  # same constructor, no threads


def _compile_stale_catalogues() -> None:
    """The UI is Chinese by default; a missing or stale .mo file would show the English source."""
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        return
    for po in LOCALE_DIR.glob("*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        # Written aside and moved into place, so parallel test processes never read half a file.
        partial = mo.with_name(f"{mo.name}.{os.getpid()}.tmp")
        result = subprocess.run([msgfmt, "-o", str(partial), str(po)], capture_output=True, check=False)
        if result.returncode == 0:
            partial.replace(mo)
        else:
            partial.unlink(missing_ok=True)


# At collection, before any test has loaded (and cached) a translation catalogue.
_compile_stale_catalogues()


@pytest.fixture(autouse=True)
def _builtin_roles(transactional_db: None) -> None:
    migration = importlib.import_module("crm.identity.migrations.0002_builtin_roles")
    migration.create_roles(django_apps, None)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.skip("Chromium is not installed (scripts/setup installs it)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser: Browser, live_server: LiveServer) -> Iterator[Callable[..., Page]]:
    """Open a page in a fresh context (own cookies) against the live server."""
    contexts: list[BrowserContext] = []

    def open_page(viewport: ViewportSize = DESKTOP) -> Page:
        context = browser.new_context(viewport=viewport, locale="zh-CN", base_url=live_server.url)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: Callable[..., Page]) -> Page:
    return new_page()
