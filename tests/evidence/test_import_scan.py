"""An import leaves its activities to the sweep for keyword evidence: tagged once, without alerts, without slowing
the import itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.interchange.conftest import TINY, write_folder
from xiaoguan.automation.models import Timer
from xiaoguan.automation.sweep import sweep_run
from xiaoguan.core.clock import clock_now
from xiaoguan.evidence.models import ActivityEvidence
from xiaoguan.evidence.rules import IMPORT_SCAN_TIMER
from xiaoguan.interchange.importer import interchange_import
from xiaoguan.interchange.sources import folder_bundle

pytestmark = pytest.mark.django_db


def test_imported_activities_are_scanned_by_the_next_sweep_once(tmp_path: Path) -> None:
    # given a folder whose visit mentions a quote and a three-way price comparison
    files = dict(TINY)
    files["activities.csv"] = files["activities.csv"].replace("拜访设备科，了解采购计划", "拜访设备科，客户要求三方比价并发报价单")
    report = interchange_import(bundle=folder_bundle(write_folder(tmp_path / "f", files)))
    assert not report.errors, report.as_text()
    # then the import itself tagged nothing and left one due scan
    assert ActivityEvidence.objects.count() == 0
    assert Timer.objects.filter(kind=IMPORT_SCAN_TIMER, due_at__isnull=False).count() == 1
    # when the sweep runs, the visit is tagged as evidence (with the words found) and the scan is done
    sweep_run(now=clock_now())
    tagged = ActivityEvidence.objects.filter(activity__external_id="ACT1")
    assert tagged.exists()
    words = {m["word"] for row in tagged for m in row.matches}
    assert words & {"比价", "三方比价"} and "报价" in "".join(words)
    assert not ActivityEvidence.objects.filter(activity__external_id="ACT2").exists()
    assert Timer.objects.filter(kind=IMPORT_SCAN_TIMER, due_at__isnull=False).count() == 0
    # and a second sweep writes nothing more
    count = ActivityEvidence.objects.count()
    sweep_run(now=clock_now())
    assert ActivityEvidence.objects.count() == count
