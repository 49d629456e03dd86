"""Each test starts from the loaded cities and a fresh geo index: a rolled-back transaction sends no signal."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.apps import apps
from django.utils import translation

from xiaoguan.geo.cache import geo_cache_clear
from xiaoguan.geo.models import City
from xiaoguan.org.models import Team

WORLD_SMALL = Path(__file__).resolve().parents[2].parent / "shared" / "samples" / "world-small" / "data"


@pytest.fixture(autouse=True)
def _loaded(db) -> None:  # type: ignore[no-untyped-def]
    """The migration's cities, again if a transactional test elsewhere in this process flushed them."""
    if not City.objects.exists():
        importlib.import_module("xiaoguan.geo.migrations.0002_load_cities").load(apps, None)


@pytest.fixture(autouse=True)
def _fresh_geo_index() -> Iterator[None]:
    geo_cache_clear()
    yield
    geo_cache_clear()


@pytest.fixture
def regions(db) -> dict[str, Team]:  # type: ignore[no-untyped-def]
    """The world-small sample's regions: no 东北 team."""
    company = Team.objects.create(name="销售中心", kind=Team.Kind.COMPANY)
    names = {"R-EAST": "华东大区", "R-SOUTH": "华南大区", "R-NORTH": "华北大区", "R-SW": "西南大区", "R-CENTRAL": "华中大区", "R-NW": "西北大区"}
    return {code: Team.objects.create(name=name, kind=Team.Kind.REGION, parent=company, external_id=code) for code, name in names.items()}


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    # A request in English activates it for the thread; later tests (here and elsewhere) expect the default again.
    translation.deactivate()
    yield
    translation.deactivate()
