from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):  # type: ignore[no-untyped-def]
    # Stored files go to a throwaway folder, never the developer's var/media.
    settings.MEDIA_ROOT = tmp_path / "media"
