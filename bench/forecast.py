"""`xiaoguan bench forecast [--size small|full|N] [--keep]`: forecast a quarter and score every open deal.

Fills a throwaway database (bench/_generate.py: N leads, default 1M, with 3M activities, 100k deals of which ~55k open,
their stage history), then times, from cold caches each trial, what `xiaoguan forecast` and `xiaoguan score` do:
read the deal columns, build the weekly training snapshots, fit, score every open deal with its reasons, simulate
2,000 outcomes of the quarter per rep.

Target (issue 6): forecast + scoring of all open deals < 30 s on the 1M-lead database (2 cores).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any, TextIO

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _child import child_main, run_on_fresh_database
from _common import median

TARGET_S = 30.0
SIZES = {"small": 100_000, "full": 1_000_000}


def run(*, size: str | None, keep: bool, stderr: TextIO) -> dict[str, Any]:
    size = size or "full"
    leads = int(size) if size.isdigit() else SIZES.get(size)
    if leads is None:
        raise ValueError(f"--size: small, full or a number of leads, not {size!r}")
    params = {"size": size, "leads": leads, "trials": 3}
    return run_on_fresh_database(Path(__file__), "forecast", params, keep=keep, stderr=stderr)


def measure(*, size: str, leads: int, trials: int, stderr: TextIO) -> dict[str, Any]:
    from datetime import UTC, datetime, timedelta

    from _generate import generate
    from django.db import close_old_connections, connection

    from xiaoguan.core.process_cache import process_caches_clear
    from xiaoguan.insights.forecast import forecast_compute
    from xiaoguan.insights.winprob import win_scores

    now = datetime(2026, 11, 18, 2, 0, tzinfo=UTC)
    generated = generate(leads=leads, activities=leads * 3, seed=6, stderr=stderr, now=now)
    load_before = os.getloadavg()[0]
    times: list[float] = []
    scored = 0
    total = 0.0
    for trial in range(trials):
        close_old_connections()
        process_caches_clear()
        started = time.perf_counter()
        forecast = forecast_compute(as_of=now, until=now + timedelta(days=92))
        scores = win_scores(as_of=now, until=now + timedelta(days=92))
        times.append(time.perf_counter() - started)
        scored, total = len(scores), forecast.total
        print(f"forecast {trial + 1}: {scored:,} open deals scored, ¥{total:,.0f} forecast in {times[-1]:.1f} s", file=stderr, flush=True)
    return {
        "benchmark": "forecast",
        "database": connection.vendor,
        "size": size,
        "leads": leads,
        "open_deals_scored": scored,
        "forecast_total": round(total, 2),
        "median_s": round(median(times), 2),
        "max_s": round(max(times), 2),
        "runs_s": [round(t, 2) for t in times],
        "target_s": TARGET_S,
        "target_met": median(times) < TARGET_S,
        "generate_seconds": generated["total_seconds"],
        "load_avg_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


if __name__ == "__main__":
    child_main(measure)
