"""The second sample world (samples/world-b): another seed and other habits, the same round trip."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.interchange.helpers import captured_writes, csv_rows, row_counts
from xiaoguan.activities.models import Activity
from xiaoguan.interchange.compare import interchange_compare
from xiaoguan.interchange.exporter import interchange_export
from xiaoguan.interchange.importer import interchange_import
from xiaoguan.interchange.sources import folder_bundle
from xiaoguan.leads.models import Lead

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_world_b_imports_whole(world_b):
    assert Activity.objects.count() == csv_rows(world_b.folder / "activities.csv")
    assert Lead.objects.count() == csv_rows(world_b.folder / "leads.csv")


def test_world_b_again_writes_nothing(world_b):
    before = row_counts()
    with captured_writes() as writes:
        interchange_import(bundle=folder_bundle(world_b.folder))
    assert writes == []
    assert row_counts() == before


def test_world_b_exports_to_an_equal_folder(world_b, tmp_path: Path):
    interchange_export(folder=tmp_path / "out")
    assert interchange_compare(left=world_b.folder, right=tmp_path / "out") == []
