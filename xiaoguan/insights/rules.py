"""The insights' periodic job: the weekly forecast snapshot, taken on Monday morning as of Monday 00:00."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from xiaoguan.automation.registry import periodic_job
from xiaoguan.core.clock import org_tz
from xiaoguan.insights.snapshots import snapshot_take, week_monday


@periodic_job("forecast_weekly_snapshot", schedule="weekly mon 06:00")
def forecast_snapshot_job(now: datetime) -> str:
    """This week's snapshots (every scope that has none yet). A sweep that was down on Monday catches up later in the
    week with the same Monday as-of, so the weeks stay comparable; a second run writes nothing."""
    week = week_monday(now.astimezone(org_tz()).date())
    written = snapshot_take(week=week, now=now)
    return f"{written} forecast snapshots for {week.isoformat()}"


WARM_SLOT_SECONDS = 600  # the cockpit's figures are kept per 10-minute slot (health.SLOT_SECONDS and the others)


@periodic_job("cockpit_warm", schedule="every 1m")
def cockpit_warm_job(now: datetime) -> str:
    """Queue the warm-up of the cockpit's figures once per 10-minute slot, as soon after the slot begins as the sweep
    comes by: the figures are keyed by slot, so a warm-up that ran on its own rhythm would leave each slot's first
    minutes to the pages. Outside the sweep's transaction, which on SQLite holds the write lock while figures read."""
    from django.core.cache import caches

    from xiaoguan.core.process_cache import SHARED_CACHE
    from xiaoguan.insights.tasks import cockpit_warm_task

    slot = int(now.timestamp()) // WARM_SLOT_SECONDS
    if not caches[SHARED_CACHE].add(f"cockpit_warm:{slot}", True, timeout=2 * WARM_SLOT_SECONDS):
        return "cockpit warm-up already queued for this slot"
    transaction.on_commit(lambda: cockpit_warm_task.enqueue())
    return "cockpit warm-up queued"
