"""Fixtures every test may use: a controllable clock and logged-in clients per role."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from datetime import datetime

import pytest
from django.test import Client

from xiaoguan.core.clock import clock_frozen_at, org_tz


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests last: their live server keeps threads (with database connections) alive for the rest of the
    session, and the import's two-process mode must be tested in a single-threaded process."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


class Clock:
    """`clock.at("2025-03-07 17:30")` builds an organisation-time instant; `clock.set(...)` freezes now there."""

    def __init__(self) -> None:
        self._stack = ExitStack()

    def at(self, text: str) -> datetime:
        parsed = datetime.fromisoformat(text)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=org_tz())

    def set(self, when: str | datetime) -> datetime:
        instant = self.at(when) if isinstance(when, str) else when
        self._stack.close()
        self._stack = ExitStack()
        self._stack.enter_context(clock_frozen_at(instant))
        return instant

    def close(self) -> None:
        self._stack.close()


@pytest.fixture(autouse=True)
def _chinese_first():  # type: ignore[no-untyped-def]
    # Every test starts in the default language: a test that renders English must not leak it into the next one.
    from django.utils import translation

    translation.activate("zh-hans")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fresh_process_caches() -> None:
    # Per-process caches (holidays and hours, the city table's regions, the lead clock's policy, routing's rules and
    # people, the delivery setup) would otherwise carry one test's rows, rolled back since, into the next. The
    # ProcessCache ones are all dropped by process_caches_clear; geo, worktime and API tokens keep caches of their own.
    from xiaoguan.core.process_cache import process_caches_clear
    from xiaoguan.geo.cache import geo_cache_clear
    from xiaoguan.org.services import api_token_cache_clear
    from xiaoguan.worktime.cache import worktime_cache_clear

    geo_cache_clear()
    worktime_cache_clear()
    api_token_cache_clear()
    process_caches_clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):  # type: ignore[no-untyped-def]
    # Real hashing costs ~0.3 s per user; tests create hundreds.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def clock() -> Iterator[Clock]:
    c = Clock()
    yield c
    c.close()


@pytest.fixture
def login(client: Client):  # type: ignore[no-untyped-def]
    """`login(user)` returns a test client logged in as that user (a fresh client each call)."""

    def _login(user) -> Client:  # type: ignore[no-untyped-def]
        c = Client()
        c.force_login(user)
        return c

    return _login
