"""Each test starts from a fresh worktime snapshot: a rolled-back transaction sends no signal."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from xiaoguan.worktime.cache import worktime_cache_clear


@pytest.fixture(autouse=True)
def _fresh_worktime_cache() -> Iterator[None]:
    worktime_cache_clear()
    yield
    worktime_cache_clear()
