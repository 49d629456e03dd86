"""Browser tests: Debian's Chromium driven by Playwright (sync API) against pytest-django's live server.

Never `playwright install`: the system browser at /usr/bin/chromium is the one we test. Screenshots of every step go
to test-artifacts/e2e/<test name>/ (gitignored) so a person can look at them.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path(os.environ.get("XIAOGUAN_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        message = f"browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium fonts-noto-cjk)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make around it are synchronous.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS, headless=True)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Callable[..., Path]:
    """`shot(page, "rep-login")` saves test-artifacts/e2e/<test>/01-rep-login.png (phones: the viewport; desktops: the page)."""
    folder = ARTIFACTS / re.sub(r"[^\w-]+", "_", request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    counter = {"n": 0}

    def _shot(page: Any, name: str, *, full_page: bool | None = None) -> Path:
        counter["n"] += 1
        path = folder / f"{counter['n']:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=(page.viewport_size["width"] > 600) if full_page is None else full_page)
        return path

    return _shot


def log_in(page: Any, base_url: str, email: str, password: str) -> None:
    page.goto(f"{base_url}/auth/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/")


def horizontal_overflow(page: Any) -> int:
    """How many pixels the page is wider than the viewport (0 on a page that fits a phone)."""
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


@pytest.fixture(autouse=True, scope="session")
def _one_request_at_a_time_on_sqlite() -> Iterator[None]:
    """On SQLite the test database lives in memory and the live server's threads share its one connection, which
    sqlite3 refuses to have used by two threads at once ("bad parameter or other API misuse": a page load beside the
    bell's poll failed the odd run). The live server answers one request at a time then; PostgreSQL needs nothing."""
    import threading

    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection

    if connection.vendor != "sqlite":
        yield
        return
    lock = threading.Lock()
    original = WSGIHandler.__call__

    def serialised(self: WSGIHandler, environ: Any, start_response: Any) -> Any:
        with lock:
            return original(self, environ, start_response)

    WSGIHandler.__call__ = serialised  # type: ignore[method-assign]
    try:
        yield
    finally:
        WSGIHandler.__call__ = original  # type: ignore[method-assign]
