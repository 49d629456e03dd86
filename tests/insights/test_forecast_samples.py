"""The issue's quality bar on the sample worlds, imported as of 2025-10-01: the forecast of won value for
2025-10-01 … 2025-12-31 within 12 % of what was won, the actual inside the 80 % interval, and win probabilities of the
deals open that day with an AUC of at least 0.82 — through the commands of spec/cli.md, as a script would run them."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction

from xiaoguan.core.clock import clock_frozen_at, parse_as_of
from xiaoguan.interchange.importer import interchange_import
from xiaoguan.interchange.sources import folder_bundle

SAMPLES = Path("/work/shared/samples")
AS_OF, UNTIL = "2025-10-01", "2025-12-31"

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def _auc(scores: list[float], labels: list[bool]) -> float:
    """Mann–Whitney: the chance that a won deal scores above a deal not won (ties count half)."""
    won = [s for s, y in zip(scores, labels, strict=True) if y]
    other = [s for s, y in zip(scores, labels, strict=True) if not y]
    pairs = sum((w > o) + 0.5 * (w == o) for w in won for o in other)
    return pairs / (len(won) * len(other))


def _world(name: str, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    folder = SAMPLES / name
    if not (folder / "data").is_dir() or not (folder / "truth" / "outcomes.csv").is_file():
        pytest.skip(f"sample world {name} not found at {folder}")
    with django_db_blocker.unblock(), transaction.atomic():
        with clock_frozen_at(parse_as_of(AS_OF)):
            report = interchange_import(bundle=folder_bundle(folder / "data"))
        assert not report.errors, report.as_text()[:2000]
        out = io.StringIO()
        call_command("forecast", "--as-of", AS_OF, "--until", UNTIL, "--json", stdout=out)
        forecast = json.loads(out.getvalue())
        out = io.StringIO()
        call_command("score", "--as-of", AS_OF, "--until", UNTIL, "--csv", stdout=out)
        scores = list(csv.DictReader(io.StringIO(out.getvalue())))
        summary = json.loads((folder / "truth" / "summary.json").read_text(encoding="utf-8"))
        with (folder / "truth" / "outcomes.csv").open(encoding="utf-8") as f:
            outcomes = {row["opportunity_id"]: row for row in csv.DictReader(f)}
        yield {"forecast": forecast, "scores": scores, "summary": summary, "outcomes": outcomes}
        transaction.set_rollback(True)


@pytest.fixture(scope="module")
def world_small(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    yield from _world("world-small", django_db_blocker)


@pytest.fixture(scope="module")
def world_b(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    yield from _world("world-b", django_db_blocker)


@pytest.mark.parametrize("world", ["world_small", "world_b"])
def test_forecast_of_the_quarter_is_within_12_percent_and_the_actual_inside_the_80_percent_interval(world, request):
    w = request.getfixturevalue(world)
    forecast, actual = w["forecast"], w["summary"]["won_revenue"]
    assert abs(forecast["total"] - actual) / actual <= 0.12, (forecast["total"], actual)
    assert forecast["low"] <= actual <= forecast["high"], (forecast["low"], actual, forecast["high"])
    # the naive stage-weighted pipeline misses by far more: the forecast says so itself, for comparison
    assert any("按阶段固定比例" in line for line in forecast["explain"])


@pytest.mark.parametrize("world", ["world_small", "world_b"])
def test_forecast_parts_add_up_by_region_and_name_every_region(world, request):
    forecast = request.getfixturevalue(world)["forecast"]
    assert round(sum(forecast["by_region"].values()), 2) == forecast["total"]
    assert set(forecast["by_region"]) == set(request.getfixturevalue(world)["summary"]["won_revenue_by_region"])
    assert abs(sum(forecast["by_rep"].values()) - forecast["total"]) < 1.0
    assert forecast["low"] < forecast["total"] < forecast["high"]


@pytest.mark.parametrize("world", ["world_small", "world_b"])
def test_win_probabilities_of_the_open_deals_rank_winners_first_with_auc_of_at_least_0_82(world, request):
    w = request.getfixturevalue(world)
    known = {oid for oid, row in w["outcomes"].items() if row["known"] == "True"}
    scored = {row["opportunity_id"]: row for row in w["scores"]}
    assert set(scored) == known  # every deal open on the as-of day, and only those
    labels = [w["outcomes"][oid]["status_at_horizon"] == "won" for oid in scored]
    probabilities = [float(row["probability"]) for row in scored.values()]
    assert _auc(probabilities, labels) >= 0.82
    # calibrated enough to be added up: expected wins within 15 % of the wins
    assert abs(sum(probabilities) - sum(labels)) <= 0.15 * sum(labels)
    assert all(row["top_reasons"].startswith("处于「") for row in scored.values())
