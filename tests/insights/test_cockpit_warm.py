"""The worker's warm-up: what it computes is found by the web processes in the shared `frames` cache, not recomputed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.insights.cockpit_world import TODAY, at, build_world
from xiaoguan.automation.registry import PERIODIC_JOBS
from xiaoguan.core import process_cache
from xiaoguan.core.clock import clock_frozen_at, clock_today
from xiaoguan.insights import funnel, health
from xiaoguan.insights.filters import cockpit_filter_parse
from xiaoguan.insights.warm import cockpit_warm

pytestmark = pytest.mark.django_db

NOW = at("2025-04-10 09:03")


def _another_process() -> None:
    """What a web process has: its own empty copies, the shared cache as the worker left it."""
    for cache in process_cache._all:
        cache.clear()


def test_pages_read_the_frames_the_warm_up_computed_instead_of_computing_them(monkeypatch):
    # given a small organisation and the worker's warm-up for this 10-minute slot
    world = build_world()
    with clock_frozen_at(NOW):
        spent = cockpit_warm(now=NOW)
    assert {"funnel", "dwell", "health", "efficiency", "behaviour", "win_scores_today"} <= set(spent)
    assert f"brief:{world.manager.external_id}" in spent

    # when a web process asks for the same figures, computing them is not an option
    _another_process()

    def refuse(**_: object) -> None:
        raise AssertionError("computed again")

    monkeypatch.setattr(health, "period_frame_compute", refuse)
    monkeypatch.setattr(funnel, "_frame_read", refuse)
    with clock_frozen_at(NOW + timedelta(minutes=2)):
        f = cockpit_filter_parse(user=world.director, params={}, today=clock_today())
        report = health.process_health(f=f, now=NOW + timedelta(minutes=2))
        funnels = funnel.funnel_compute(cockpit=f)
    # then they come from the shared cache: the same figures the worker saw
    assert report is not None and funnels is not None


def test_a_new_slot_is_computed_afresh_and_a_cleared_cache_forgets_everything(monkeypatch):
    world = build_world()
    with clock_frozen_at(NOW):
        cockpit_warm(now=NOW)
    calls: list[int] = []
    real = health.period_frame_compute

    def counting(**kwargs: object):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(health, "period_frame_compute", counting)
    f = cockpit_filter_parse(user=world.director, params={}, today=TODAY)
    _another_process()
    health.process_health(f=f, now=NOW + timedelta(minutes=11))  # the next slot: the worker has not been yet
    assert calls == [1]
    process_cache.process_caches_clear()  # e.g. after an import
    health.process_health(f=f, now=NOW)
    assert calls == [1, 1]


def test_the_warm_up_is_queued_once_per_ten_minute_slot(django_capture_on_commit_callbacks):
    assert PERIODIC_JOBS["cockpit_warm"].schedule == "every 1m"
    job = PERIODIC_JOBS["cockpit_warm"].run
    with django_capture_on_commit_callbacks() as queued:
        assert job(NOW) == "cockpit warm-up queued"
        assert job(NOW + timedelta(minutes=5)) == "cockpit warm-up already queued for this slot"  # 09:00–09:10
        assert job(NOW + timedelta(minutes=8)) == "cockpit warm-up queued"  # 09:11, a new slot
    assert len(queued) == 2
