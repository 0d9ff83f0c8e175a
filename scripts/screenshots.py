"""Screenshots of the main screens for the README, taken from a running CRM with demo data.

    .venv/bin/python scripts/screenshots.py --base http://127.0.0.1:8000 --out docs/screenshots

Signs in as the demo users (`crm demo` prints them), switches each one's language through the
UI, and restores the language each user had before. `--all` takes every screen in both
languages at both widths, for reviewing the layout rather than for the README.
"""

from __future__ import annotations

import argparse
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Browser, Page, ViewportSize, sync_playwright

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WIDTHS: dict[str, ViewportSize] = {
    "desktop": {"width": 1440, "height": 900},
    "phone": {"width": 390, "height": 844},
}
LANGUAGES = {"zh": "zh-hans", "en": "en"}
DEMO_PASSWORD = "demo1234"  # noqa: S105  (the demo accounts' published password)


@dataclass(frozen=True)
class Shot:
    name: str
    user: str  # "" for a signed-out page
    language: str
    width: str
    full_page: bool = False


# What the README shows: the desktop screens in Chinese, a few in English, the phone layout.
README_SHOTS = [
    Shot("home", "rep1", "zh", "desktop"),
    *(Shot(name, "admin", "zh", "desktop") for name in ("customers", "customer", "contacts", "audit", "roles")),
    Shot("login", "", "zh", "desktop"),
    Shot("customers", "admin", "en", "desktop"),
    Shot("customer", "admin", "en", "desktop"),
    Shot("customers", "rep1", "zh", "phone"),
    Shot("customer", "rep1", "zh", "phone", full_page=True),
    Shot("menu", "rep1", "zh", "phone"),
    Shot("login", "", "zh", "phone"),
    Shot("home", "rep1", "en", "phone"),
    Shot("customer", "rep1", "en", "phone"),
]
SCREENS = ["home", "customers", "customer", "contacts", "audit", "roles", "login"]


def every_shot() -> list[Shot]:
    shots = []
    for language in LANGUAGES:
        for width in WIDTHS:
            for name in SCREENS:
                user = "" if name == "login" else ("admin" if width == "desktop" else "rep1")
                if width == "phone" and name in {"audit", "roles"}:
                    user = "admin"
                shots.append(Shot(name, user, language, width, full_page=True))
    return shots


def wait_until_settled(page: Page) -> None:
    page.wait_for_load_state("networkidle")
    page.evaluate("document.fonts.ready.then(() => true)")


def sign_in(page: Page, username: str) -> None:
    page.goto("/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.get_by_test_id("sign-in").click()
    page.get_by_test_id("nav").wait_for(state="attached")


def current_language(page: Page) -> str:
    return page.locator("html").get_attribute("lang") or ""


def use_language(page: Page, language: str) -> None:
    if current_language(page) != language:
        page.get_by_test_id("switch-language").click()
        page.wait_for_function(f"document.documentElement.lang === {language!r}")


def open_customer(page: Page) -> None:
    """The first customer of the list; its follow-up panel arrives by HTMX."""
    page.goto("/customers/")
    page.get_by_test_id("customer-table").locator("tbody a").first.click()
    page.get_by_test_id("timeline").wait_for()


def open_menu(page: Page) -> None:
    page.goto("/")
    page.get_by_test_id("open-nav").click()
    page.wait_for_timeout(400)  # the drawer slides in


def visit(path: str) -> Callable[[Page], None]:
    def open_path(page: Page) -> None:
        page.goto(path)

    return open_path


SCREEN_OPENERS: dict[str, Callable[[Page], None]] = {
    "home": visit("/"),
    "customers": visit("/customers/"),
    "customer": open_customer,
    "contacts": visit("/contacts/"),
    "audit": visit("/audit/"),
    "roles": visit("/org/roles/"),
    "menu": open_menu,
    "login": visit("/login/"),
}


def take(browser: Browser, base: str, out: Path, shots: list[Shot]) -> list[Path]:
    saved: list[Path] = []
    users = sorted({shot.user for shot in shots})
    for user in users:
        mine = [shot for shot in shots if shot.user == user]
        for width in WIDTHS:
            for language in LANGUAGES:
                batch = [shot for shot in mine if shot.width == width and shot.language == language]
                if not batch:
                    continue
                context = browser.new_context(viewport=WIDTHS[width], locale="zh-CN", base_url=base)
                page = context.new_page()
                original = ""
                if user:
                    sign_in(page, user)
                    original = current_language(page)
                    use_language(page, LANGUAGES[language])
                else:
                    page.goto("/login/")
                    use_language(page, LANGUAGES[language])
                for shot in batch:
                    SCREEN_OPENERS[shot.name](page)
                    wait_until_settled(page)
                    path = out / f"{shot.language}-{shot.width}-{shot.name}.png"
                    page.screenshot(path=str(path), full_page=shot.full_page)
                    saved.append(path)
                    print(path)
                if user and original:
                    page.goto("/")
                    use_language(page, original)
                context.close()
    return saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="http://127.0.0.1:8000", help="address of the running CRM")
    parser.add_argument("--out", default="docs/screenshots", type=Path, help="folder for the PNG files")
    parser.add_argument("--all", action="store_true", help="every screen, both languages, both widths")
    args = parser.parse_args()
    executable = shutil.which("chromium")
    if executable is None:
        parser.error("Chromium is not installed (scripts/setup installs it)")
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            take(browser, args.base.rstrip("/"), out, every_shot() if args.all else README_SHOTS)
        finally:
            browser.close()


if __name__ == "__main__":
    main()
