"""Browser tests: Playwright driving Debian's Chromium against a live Django server.

Fixtures for any browser test (the console's here, the portal's beside them):

- `browser_page`: a fresh page at 1280x900, its `base_url` the live server, so
  `page.goto("/console/")` works; `phone_page`: the same at 390x844, touch, mobile.
- `page_events`: what the page did that a test may want to refuse: JavaScript dialogs
  (alert, confirm) — dismissed and recorded —, uncaught errors, console errors (a
  Content-Security-Policy violation is one).
- `login_as(page, user)`: give the user a known password and sign in through the real
  login form; returns the page, signed in, on the page the login led to.
- `screenshot(page, name)`: a full-page PNG in test-artifacts/screenshots/<name>.png.

Chromium is Debian's (`chromium` in scripts/system-packages.txt), never a browser
downloaded by `playwright install`. Without it the tests fail, saying so: they never
skip.

Playwright's sync API keeps an asyncio loop running in this thread while a browser is
open, and Django then refuses ORM calls from the test ("async context"). The tests are
synchronous code on their own thread, so DJANGO_ALLOW_ASYNC_UNSAFE is set for exactly
as long as Playwright runs (one browser per test module), then restored.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import LazySettings
from django.contrib.auth.models import User

CHROMIUM = Path(os.environ.get("ASSISTDESK_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
PASSWORD = "browser-test-passphrase-7"
TIME_ZONE = "Europe/Rome"
STATIC = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


@dataclass
class PageEvents:
    dialogs: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}: the browser tests need Debian's "
            "`chromium` package (listed in scripts/system-packages.txt; install it with "
            "`bash scripts/install-system-packages.sh`). Never use `playwright install`."
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the `playwright` Python package is missing: `make install` installs it")
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        launched.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(autouse=True)
def _browser_settings(settings: LazySettings, tmp_path: Path) -> None:
    """Static files straight from the apps (no collectstatic manifest), mail in memory."""
    settings.STORAGES = STATIC
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def _open_page(browser: Any, live_server: Any, events: PageEvents, **options: Any) -> Any:
    context = browser.new_context(
        base_url=live_server.url,
        locale="en-GB",
        timezone_id=TIME_ZONE,
        **options,
    )
    # The console shows times in the browser's zone; say it before the first page.
    context.add_cookies([{"name": "tz", "value": TIME_ZONE, "url": live_server.url}])
    context.set_default_timeout(15_000)
    page = context.new_page()

    def on_dialog(dialog: Any) -> None:
        events.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda error: events.page_errors.append(str(error)))
    page.on(
        "console",
        lambda message: (
            events.console_errors.append(message.text) if message.type == "error" else None
        ),
    )
    return page


@pytest.fixture
def page_events() -> PageEvents:
    return PageEvents()


@pytest.fixture
def browser_page(browser: Any, live_server: Any, page_events: PageEvents) -> Iterator[Any]:
    page = _open_page(browser, live_server, page_events, viewport=DESKTOP)
    yield page
    page.context.close()


@pytest.fixture
def phone_page(browser: Any, live_server: Any, page_events: PageEvents) -> Iterator[Any]:
    page = _open_page(
        browser, live_server, page_events, viewport=PHONE, is_mobile=True, has_touch=True
    )
    yield page
    page.context.close()


@pytest.fixture
def login_as() -> Callable[..., Any]:
    def login(
        page: Any, user: User, *, password: str = PASSWORD, path: str = "/accounts/login/"
    ) -> Any:
        user.set_password(password)
        user.save(update_fields=["password"])
        page.goto(path)
        page.fill("input[name=username]", user.get_username())
        page.fill("input[name=password]", password)
        with page.expect_navigation():
            page.click("button[type=submit]")
        if "/login/" in page.url:
            pytest.fail(f"login as {user.get_username()} failed: still on {page.url}")
        return page

    return login


@pytest.fixture(scope="session")
def _screenshots_dir() -> Path:
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture
def screenshot(_screenshots_dir: Path) -> Callable[[Any, str], Path]:
    def take(page: Any, name: str) -> Path:
        path = _screenshots_dir / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
