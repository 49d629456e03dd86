"""Each test starts from the seeded tables and a fresh worktime snapshot: a rolled-back transaction sends no signal."""

from __future__ import annotations

import importlib
from collections.abc import Iterator

import pytest
from django.apps import apps
from django.utils import translation

from xiaoguan.worktime.cache import worktime_cache_clear
from xiaoguan.worktime.models import Holiday, WorkSchedule


@pytest.fixture(autouse=True)
def _seeded(db) -> None:  # type: ignore[no-untyped-def]
    """The migration's rows, again if a transactional test elsewhere in this process flushed them."""
    if not Holiday.objects.exists() or not WorkSchedule.objects.filter(team__isnull=True).exists():
        importlib.import_module("xiaoguan.worktime.migrations.0002_seed").seed(apps, None)


@pytest.fixture(autouse=True)
def _fresh_worktime_cache() -> Iterator[None]:
    worktime_cache_clear()
    yield
    worktime_cache_clear()


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    # A request in English activates it for the thread; later tests (here and elsewhere) expect the default again.
    translation.deactivate()
    yield
    translation.deactivate()
