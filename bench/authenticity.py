"""`xiaoguan bench authenticity [--size small|full|N] [--keep]`: score every activity for authenticity.

Fills a throwaway database (bench/_generate.py: N activities, default 3M, with accounts in their cities, deals with
stage history, visits with check-in positions), then times `authenticity_report` as the command runs it — fetch the
columns, compute every piece of evidence set-wise, flag, write reasons for the flagged — `trials` times.

Target (issue 5): 3M activities in < 60 s on SQLite (2 cores).
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

TARGET_S = 60.0
SIZES = {"small": 300_000, "full": 3_000_000}


def run(*, size: str | None, keep: bool, stderr: TextIO) -> dict[str, Any]:
    size = size or "full"
    activities = int(size) if size.isdigit() else SIZES.get(size)
    if activities is None:
        raise ValueError(f"--size: small, full or a number of activities, not {size!r}")
    params = {"size": size, "activities": activities, "trials": 3}
    return run_on_fresh_database(Path(__file__), "authenticity", params, keep=keep, stderr=stderr)


def measure(*, size: str, activities: int, trials: int, stderr: TextIO) -> dict[str, Any]:
    from datetime import UTC, datetime

    from _generate import generate
    from django.db import close_old_connections, connection

    from xiaoguan.insights.authenticity import authenticity_report

    now = datetime(2026, 11, 18, 2, 0, tzinfo=UTC)
    generated = generate(leads=max(10_000, activities // 15), activities=activities, seed=5, stderr=stderr, now=now)
    load_before = os.getloadavg()[0]
    times: list[float] = []
    flagged = considered = 0
    for trial in range(trials):
        close_old_connections()
        started = time.perf_counter()
        report = authenticity_report(as_of=now)
        times.append(time.perf_counter() - started)
        flagged = len(report.flagged)
        considered = sum(r.activities for r in report.by_rep.values())
        print(
            f"authenticity {trial + 1}: {considered:,} activities scored, {flagged:,} flagged in {times[-1]:.1f} s",
            file=stderr,
            flush=True,
        )
    return {
        "benchmark": "authenticity",
        "database": connection.vendor,
        "size": size,
        "activities": considered,
        "flagged": flagged,
        "median_s": round(median(times), 2),
        "max_s": round(max(times), 2),
        "runs_s": [round(t, 2) for t in times],
        "activities_per_s": round(considered / median(times)) if times else 0,
        "target_s": TARGET_S,
        "target_met": median(times) < TARGET_S,
        "generate_seconds": generated["total_seconds"],
        "load_avg_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


if __name__ == "__main__":
    child_main(measure)
