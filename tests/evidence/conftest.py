from __future__ import annotations

import pytest

from tests.web.conftest import org  # noqa: F401  (the small organisation: a manager with two reps, the other roles)


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_keyword_matcher() -> None:
    # The compiled dictionaries and the competitor names learned from deals are per-process copies.
    from xiaoguan.evidence.selectors import evidence_cache_clear

    evidence_cache_clear()
