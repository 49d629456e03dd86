"""The authenticity bar on the sample worlds: precision and recall ≥ 0.9 on the planted invented records.

Each world is imported as of 2025-10-01 (as `xiaoguan import --as-of 2025-10-01` does); the truth is restricted to
records typed before that day, the only ones the command considers.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import transaction

from xiaoguan.core.clock import clock_frozen_at, parse_as_of
from xiaoguan.insights.authenticity import AuthenticityReport, authenticity_report
from xiaoguan.interchange.importer import interchange_import
from xiaoguan.interchange.sources import folder_bundle

SAMPLES = Path("/work/shared/samples")
AS_OF = "2025-10-01"

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def _world(name: str, django_db_blocker) -> Iterator[tuple[AuthenticityReport, set[str]]]:  # type: ignore[no-untyped-def]
    folder = SAMPLES / name
    if not (folder / "data").is_dir() or not (folder / "truth" / "fake_activities.csv").is_file():
        pytest.skip(f"sample world {name} not found at {folder}")
    as_of = parse_as_of(AS_OF)
    with django_db_blocker.unblock(), transaction.atomic():
        with clock_frozen_at(as_of):
            report = interchange_import(bundle=folder_bundle(folder / "data"))
        assert not report.errors, report.as_text()[:2000]
        result = authenticity_report(as_of=as_of)
        with (folder / "truth" / "fake_activities.csv").open(encoding="utf-8") as f:
            fake = {row["activity_id"] for row in csv.DictReader(f) if row["recorded_on"] < AS_OF}
        yield result, fake
        transaction.set_rollback(True)


@pytest.fixture(scope="module")
def world_small(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    yield from _world("world-small", django_db_blocker)


@pytest.fixture(scope="module")
def world_b(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    yield from _world("world-b", django_db_blocker)


def _precision_recall(report: AuthenticityReport, fake: set[str]) -> tuple[float, float]:
    flagged = {f.activity_id for f in report.flagged}
    hits = len(flagged & fake)
    return hits / max(len(flagged), 1), hits / max(len(fake), 1)


@pytest.mark.parametrize("world", ["world_small", "world_b"])
def test_invented_records_are_found_with_precision_and_recall_of_at_least_0_9(world, request):
    report, fake = request.getfixturevalue(world)
    precision, recall = _precision_recall(report, fake)
    assert precision >= 0.9, f"precision {precision:.3f}"
    assert recall >= 0.9, f"recall {recall:.3f}"


@pytest.mark.parametrize("world", ["world_small", "world_b"])
def test_every_flag_says_why_and_rates_add_up(world, request):
    report, _fake = request.getfixturevalue(world)
    assert report.flagged
    assert all(f.reasons and all(isinstance(r, str) and r for r in f.reasons) for f in report.flagged)
    assert all(0.0 <= f.score <= 1.0 for f in report.flagged)
    assert sum(r.flagged for r in report.by_rep.values()) == len(report.flagged)
