"""Warm-up of the expensive figures, run by the worker every 10 minutes (insights/rules.py → `cockpit_warm_task`).

The cockpit's org-wide frames, the stale-deal count, each manager's weekly brief, the heatmap's completion
probabilities and today's win probabilities cost seconds to tens of seconds on a big database. (The authenticity
report is computed here once for all the briefs, but kept in this process only: its flags are too many to pass around.)
Computed here — in the worker, at low priority, into the shared `frames` cache (core/process_cache.py) — a page view
finds them instead of paying for them. Each piece is computed as the pages ask for it (the default period, the whole
company), and a piece that fails is logged and skipped: a warm-up never stops the others.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.utils import translation

from xiaoguan.core.clock import day_start, org_tz
from xiaoguan.core.process_cache import process_caches_refreshing
from xiaoguan.insights.filters import cockpit_filter_parse
from xiaoguan.org.models import Role, User

log = logging.getLogger(__name__)


def cockpit_warm(*, now: datetime) -> dict[str, float]:
    """Compute what the pages will read in this 10-minute slot; seconds spent per piece (None-valued pieces failed)."""
    from xiaoguan.insights import account_health, behaviour, brief, dwell, efficiency, funnel, health, heatmap, radar
    from xiaoguan.insights.authenticity import authenticity_report_recent
    from xiaoguan.insights.forecast import forecast_cached
    from xiaoguan.insights.snapshots import quarter_bounds, week_monday
    from xiaoguan.insights.winprob import win_scores_today

    today = now.astimezone(org_tz()).date()
    director = User.objects.filter(role__in=[Role.DIRECTOR, Role.ADMIN], is_active=True).order_by("role", "pk").first()
    spent: dict[str, float] = {}
    with translation.override("zh-hans"):
        # Kept for hours or per day: computed only when missing or expired (a new day, a new month window).
        _timed(spent, "win_scores_today", win_scores_today)
        f = cockpit_filter_parse(user=director, params={}, today=today) if director is not None else None
        if f is not None and director is not None:
            _timed(spent, "heatmap", lambda: heatmap.heatmap_compute(cockpit=f, viewer=director, with_chances=True, today=today))
        # The forecast page's current quarter (as of today 00:00 until the quarter's end).
        _timed(spent, "forecast_quarter", lambda: forecast_cached(as_of=day_start(today), until=day_start(quarter_bounds(today)[1] + timedelta(days=1))))
        # Kept per 10-minute slot: renewed every time, so the pages never find them missing.
        with process_caches_refreshing():
            _timed(spent, "authenticity", lambda: authenticity_report_recent(now=now))
            _timed(spent, "stale_deals", lambda: brief.stale_deals_by_owner(now=now))
            if f is not None:
                reps = sorted(f.owner_ids)
                _timed(spent, "funnel", lambda: funnel.funnel_compute(cockpit=f))
                _timed(spent, "dwell", lambda: dwell.dwell_compute(cockpit=f, now=now))
                _timed(spent, "radar", lambda: radar.radar_compute(cockpit=f, rep_ids=reps))
                _timed(spent, "health", lambda: health.process_health(f=f, now=now))
                _timed(spent, "efficiency", lambda: efficiency.efficiency_report(f=f, now=now))
                _timed(spent, "customers", lambda: account_health.health_frame(now=now))
                _timed(spent, "behaviour", lambda: behaviour.behaviour_table(f=f, now=now))
            week = week_monday(today)
            for user in User.objects.filter(role__in=[Role.MANAGER, Role.DIRECTOR], is_active=True).select_related("team"):
                scope = cockpit_filter_parse(user=user, params={}, today=today)
                _timed(spent, f"brief:{user.external_id}", lambda: brief.weekly_brief(user=user, owner_ids=scope.owner_ids, whole=True, week=week, now=now))  # noqa: B023
    return spent


def _timed(spent: dict[str, float], name: str, compute: Callable[[], Any]) -> None:
    started = time.perf_counter()
    try:
        compute()
    except Exception:  # a warm-up is an optimisation: the page computes it itself if this failed
        log.exception("cockpit warm-up: %s failed", name)
        return
    spent[name] = round(time.perf_counter() - started, 3)
