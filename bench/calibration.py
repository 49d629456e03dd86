"""`xiaoguan bench calibration [--size small|full|N] [--keep]`: target calibration and completion probabilities for 45 reps.

Fills a throwaway database (bench/_generate.py: N leads, default 1M, 3M activities over the last 12 months, 100k deals;
45 reps in 6 regions), adds quarterly targets (bench/dashboards.py `add_targets`: each rep's own, half the regions their
own), then times, from cold caches each trial, what the monthly target-fit report computes (insights/calibration.py):

- `simulation_s`: everything but the forecast — one read of the 6-month window's activity records, the authenticity
  scoring of that window (which records not to count as reach), effective reach, conversion, the healthy deal model,
  the proposal per rep, and the completion probability of the proposed and the imposed target per rep and per team
  from the forecast's 2,000 simulations (given the samples);
- of which `read_s` (the window's records as columns) and `flags_s` (the authenticity scoring), measured apart, and
  `probabilities_s`, the Monte Carlo part alone (every rep's and team's simulated outcomes, P of both targets);
- `forecast_s`: the forecast's simulation itself (`forecast_compute`, also measured by `xiaoguan bench forecast`);
- `report_build_s`: once, the whole monthly job as the task runs it (all of the above, the snapshot row, the proposals,
  the managers' notifications).

Target (issue 6): the target simulation for 45 reps < 10 s: `simulation_s` (the forecast has its own budget, 30 s with
the scoring, in `xiaoguan bench forecast`).
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
    from xiaoguan.insights.authenticity import authenticity_flagged_in
    from xiaoguan.insights.calibration import (
        FLAG_LOOKBACK,
        LATE_TYPING,
        attained_samples,
        calibration_window,
        completion_probability,
        quantiles_of,
        target_fit_compute,
    )
    from xiaoguan.insights.forecast import forecast_compute
    from xiaoguan.insights.selectors import activity_columns
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
        cols = activity_columns(before=min(now, period.start_at + LATE_TYPING), since=since)
        read_at = time.perf_counter()
        flags = authenticity_flagged_in(cols, as_of=now)
        flagged_at = time.perf_counter()
        del cols
        forecast = forecast_compute(as_of=now, until=period.end_at)
        forecast_at = time.perf_counter()
        samples = (list(forecast.rep_pks), forecast.samples)
        close_old_connections()
        process_caches_clear()
        fit_started = time.perf_counter()
        fit = target_fit_compute(period=period, as_of=now, simulate=lambda _a, _u, s=samples: s)
        done = time.perf_counter()
        # The completion probabilities alone: every rep's and team's outcomes summed over the simulations, P of both targets.
        prob_started = time.perf_counter()
        for unit in [*fit.reps, *fit.groups]:
            members = [unit.user_pk] if hasattr(unit, "user_pk") else unit.rep_pks
            attained = attained_samples(samples=samples[1], rep_pks=samples[0], members=members, won_so_far=unit.won_so_far)
            completion_probability(attained, unit.proposed), completion_probability(attained, unit.imposed), quantiles_of(attained)
        rows.append({
            "read_s": read_at - started, "flags_s": flagged_at - read_at, "forecast_s": forecast_at - flagged_at,
            "simulation_s": done - fit_started, "probabilities_s": time.perf_counter() - prob_started,
        })  # fmt: skip
        print(
            f"calibration {trial + 1}: {len(fit.reps)} reps, {len(flags):,} flagged records in the window; read {rows[-1]['read_s']:.1f} s, "
            f"flags {rows[-1]['flags_s']:.1f} s, forecast {rows[-1]['forecast_s']:.1f} s; "
            f"proposals + probabilities (read and flags included) {rows[-1]['simulation_s']:.1f} s",
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

    simulation_s = median([r["simulation_s"] for r in rows])
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
        "read_s": med("read_s"),
        "flags_s": med("flags_s"),
        "forecast_s": med("forecast_s"),
        "probabilities_s": med("probabilities_s"),
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
