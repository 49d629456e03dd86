"""`xiaoguan bench calibration [--size small|full|N] [--keep]`: target calibration and completion probabilities for 45 reps.

Fills a throwaway database (bench/_generate.py: N leads, default 1M, 3M activities over the last 12 months, 100k deals;
45 reps in 6 regions), adds quarterly targets (bench/dashboards.py `add_targets`: each rep's own, half the regions their
own), then times, from cold caches each trial, what the monthly target-fit report computes (insights/calibration.py):

- `flags_s`: the authenticity scoring of the 6-month window (which records not to count as reach);
- `calibration_s`: effective reach, conversion, the healthy deal model, the proposal per rep, and the completion
  probability of the proposed and the imposed target per rep and per team from 2,000 simulations (given the samples);
- `forecast_s`: the forecast's simulation itself (`forecast_compute`, also measured by `xiaoguan bench forecast`);
- `report_build_s`: once, the whole monthly job as the task runs it (all of the above, the snapshot row, the proposals,
  the managers' notifications).

Target (issue 6): the target simulation for 45 reps < 10 s: `flags_s + calibration_s` (the forecast's own budget is
the forecast benchmark's 30 s).
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

TARGET_S = 10.0
SIZES = {"small": 100_000, "full": 1_000_000}


def run(*, size: str | None, keep: bool, stderr: TextIO) -> dict[str, Any]:
    size = size or "full"
    leads = int(size) if size.isdigit() else SIZES.get(size)
    if leads is None:
        raise ValueError(f"--size: small, full or a number of leads, not {size!r}")
    params = {"size": size, "leads": leads, "trials": 3}
    return run_on_fresh_database(Path(__file__), "calibration", params, keep=keep, stderr=stderr)


def measure(*, size: str, leads: int, trials: int, stderr: TextIO) -> dict[str, Any]:
    from datetime import UTC, datetime

    from _generate import generate
    from dashboards import add_targets
    from django.db import close_old_connections, connection

    from xiaoguan.core.clock import clock_frozen_at, org_tz
    from xiaoguan.core.process_cache import process_caches_clear
    from xiaoguan.insights.authenticity import authenticity_flagged_since
    from xiaoguan.insights.calibration import FLAG_LOOKBACK, calibration_window, target_fit_compute
    from xiaoguan.insights.forecast import forecast_compute
    from xiaoguan.targets.periods import QUARTER, target_period_containing
    from xiaoguan.targets.services import target_fit_report_build

    now = datetime(2026, 11, 18, 2, 0, tzinfo=UTC)
    generated = generate(leads=leads, activities=leads * 3, seed=7, stderr=stderr, now=now)
    with clock_frozen_at(now):
        targets = add_targets(stderr=stderr)
    period = target_period_containing(now.astimezone(org_tz()).date(), grain=QUARTER)
    window_start, _end = calibration_window(period=period, as_of=now)
    since = datetime.combine(window_start, datetime.min.time(), tzinfo=org_tz()) - FLAG_LOOKBACK
    load_before = os.getloadavg()[0]
    rows: list[dict[str, float]] = []
    fit = None
    for trial in range(trials):
        close_old_connections()
        process_caches_clear()
        started = time.perf_counter()
        flags = set(authenticity_flagged_since(as_of=now, since=since))
        flagged_at = time.perf_counter()
        forecast = forecast_compute(as_of=now, until=period.end_at)
        forecast_at = time.perf_counter()
        samples = (list(forecast.rep_pks), forecast.samples)
        fit = target_fit_compute(period=period, as_of=now, simulate=lambda _a, _u, s=samples: s, flagged=flags)
        done = time.perf_counter()
        rows.append({"flags_s": flagged_at - started, "forecast_s": forecast_at - flagged_at, "calibration_s": done - forecast_at})
        print(
            f"calibration {trial + 1}: {len(fit.reps)} reps, {len(flags):,} flagged records left out; flags {rows[-1]['flags_s']:.1f} s, "
            f"forecast {rows[-1]['forecast_s']:.1f} s, calibration + probabilities {rows[-1]['calibration_s']:.1f} s",
            file=stderr, flush=True,
        )  # fmt: skip
    close_old_connections()
    process_caches_clear()
    started = time.perf_counter()
    report, _created = target_fit_report_build(now=now)
    build_s = time.perf_counter() - started
    print(f"report build (the monthly job's task): {build_s:.1f} s", file=stderr, flush=True)

    def med(key: str) -> float:
        return round(median([r[key] for r in rows]), 2)

    simulation_s = median([r["flags_s"] + r["calibration_s"] for r in rows])
    assert fit is not None
    reps_with_p = [r for r in fit.reps if r.p_imposed is not None]
    return {
        "benchmark": "calibration",
        "database": connection.vendor,
        "size": size,
        "leads": leads,
        "period": period.code,
        "reps": len(fit.reps),
        "targets": targets,
        "proposed_total": round(sum(r.proposed for r in fit.reps), 2),
        "imposed_total": round(sum(r.imposed or 0 for r in fit.reps), 2),
        "mean_p_imposed": round(sum(r.p_imposed or 0 for r in reps_with_p) / len(reps_with_p), 3) if reps_with_p else None,
        "flags_s": med("flags_s"),
        "calibration_s": med("calibration_s"),
        "forecast_s": med("forecast_s"),
        "simulation_s": round(simulation_s, 2),
        "report_build_s": round(build_s, 2),
        "report_reps": report.proposals.count(),
        "runs": [{k: round(v, 2) for k, v in r.items()} for r in rows],
        "target_s": TARGET_S,
        "target_met": simulation_s < TARGET_S,
        "generate_seconds": generated["total_seconds"],
        "load_avg_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


if __name__ == "__main__":
    child_main(measure)
