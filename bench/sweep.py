"""`xiaoguan bench sweep [--size small|full|N] [--keep]`: one sweep's cost with many clocks running and few due.

Fills a throwaway database (bench/_generate.py: N leads, default 1M, all open and owned), gives every lead a running
`lead_sla` Timer, makes `due` of them due now (the rest later), and times `sweep_run` — the rule reads each due lead
with its owner and managers, writes the rep's "overdue" notification and moves the clock to its next step.
Repeated `trials` times with a fresh set of due clocks; then one sweep with nothing due (the idle tick).

Target (issue 4): with 1M open leads and 1,000 due, one sweep < 1 s — cost grows with what is due, not what exists.
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

TARGET_S = 1.0
SIZES = {"small": 100_000, "full": 1_000_000}


def run(*, size: str | None, keep: bool, stderr: TextIO) -> dict[str, Any]:
    size = size or "full"
    leads = int(size) if size.isdigit() else SIZES.get(size)
    if leads is None:
        raise ValueError(f"--size: small, full or a number of leads, not {size!r}")
    return run_on_fresh_database(Path(__file__), "sweep", {"size": size, "leads": leads, "due": 1000, "trials": 5}, keep=keep, stderr=stderr)


def _timers_fill(*, now: Any, stderr: TextIO) -> int:
    """One running first-contact clock per open, owned lead, due a day from now: raw SQL, like the generator."""
    from django.db import connection, transaction

    from xiaoguan.leads.models import Lead

    started = time.perf_counter()
    later = now.timestamp() + 86_400
    # Every lead open, owned and not yet contacted, as lead_assign leaves a fresh one: the worst case for the rule.
    Lead.objects.filter(owner__isnull=True).update(owner_id=Lead.objects.filter(owner__isnull=False).values("owner_id")[:1])
    Lead.objects.update(status="assigned", assigned_at=now, first_contact_at=None, pool_since=None)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "INSERT INTO automation_timer (kind, subject_kind, subject_id, step, due_at, armed_at, fired_count, payload) "
                "SELECT 'lead_sla', 'lead', id, 0, to_timestamp(%s), to_timestamp(%s), 0, '{}'::jsonb FROM leads_lead "
                "WHERE owner_id IS NOT NULL",
                [later, now.timestamp()],
            )
        else:
            due = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(later))
            armed = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(now.timestamp()))
            cursor.execute(
                "INSERT INTO automation_timer (kind, subject_kind, subject_id, step, due_at, armed_at, fired_count, payload) "
                "SELECT 'lead_sla', 'lead', id, 0, %s, %s, 0, '{}' FROM leads_lead "
                "WHERE owner_id IS NOT NULL",
                [due, armed],
            )
        count = cursor.rowcount
    print(f"timers: {count:,} running clocks in {time.perf_counter() - started:.1f} s", file=stderr, flush=True)
    return count


def measure(*, size: str, leads: int, due: int, trials: int, stderr: TextIO) -> dict[str, Any]:
    from datetime import UTC, datetime, timedelta

    from _generate import generate
    from django.db import close_old_connections, connection

    from xiaoguan.automation.models import Notification, Timer
    from xiaoguan.automation.sweep import sweep_run

    now = datetime(2026, 11, 18, 2, 0, tzinfo=UTC)  # a Wednesday, 10:00 in Shanghai: inside business hours
    generated = generate(leads=leads, activities=max(1000, leads // 100), seed=3, stderr=stderr, now=now)
    running = _timers_fill(now=now, stderr=stderr)
    from django.urls import reverse

    reverse("web:home")  # the URLconf loads once per process (a worker has done it long before its first sweep)
    load_before = os.getloadavg()[0]
    times, handled = [], []
    for trial in range(trials):
        at = now + timedelta(minutes=30 + trial)
        ids = list(Timer.objects.filter(due_at__isnull=False, step=0).order_by("?" if trial == 0 else "subject_id").values_list("pk", flat=True)[:due])
        Timer.objects.filter(pk__in=ids).update(due_at=at - timedelta(seconds=1))
        close_old_connections()
        started = time.perf_counter()
        report = sweep_run(now=at)
        times.append(time.perf_counter() - started)
        handled.append(report.timers.get("lead_sla", 0))
        print(f"sweep {trial + 1}: {handled[-1]} due of {running:,} running in {times[-1] * 1000:.0f} ms", file=stderr, flush=True)
    started = time.perf_counter()
    idle = sweep_run(now=now + timedelta(minutes=40))
    idle_s = time.perf_counter() - started
    return {
        "benchmark": "sweep",
        "database": connection.vendor,
        "size": size,
        "open_leads": leads,
        "running_timers": running,
        "due_per_sweep": due,
        "handled": handled,
        "sweep_median_s": round(median(times), 3),
        "sweep_max_s": round(max(times), 3),
        "sweeps_s": [round(t, 3) for t in times],
        "idle_sweep_ms": round(idle_s * 1000, 1),
        "idle_handled": sum(idle.timers.values()),
        "notifications": Notification.objects.count(),
        "target_s": TARGET_S,
        "target_met": max(times) < TARGET_S and all(h == due for h in handled),
        "generate_seconds": generated["total_seconds"],
        "load_avg_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


if __name__ == "__main__":
    child_main(measure)
