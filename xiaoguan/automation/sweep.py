"""The sweep: one pass over what is due — timers, periodic jobs, deliveries — safe to run twice, safe after a crash.

Each batch of timers is claimed, handled and moved in one transaction: a crash rolls the whole batch back, so
the next sweep sees it again, and the notifications it wrote carry dedupe keys, so nothing is doubled either.
Two sweeps at once (two workers) never take the same row: PostgreSQL skips rows another sweep has locked, and
SQLite lets one writer in at a time (transactions start IMMEDIATE).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction
from django.db.models import QuerySet

from xiaoguan.automation.models import PeriodicJob, Timer
from xiaoguan.automation.registry import PERIODIC_JOBS, TIMER_HANDLERS
from xiaoguan.automation.schedule import schedule_first, schedule_next
from xiaoguan.core.bulk import rows_update

log = logging.getLogger(__name__)

TIMER_BATCH = 500
DELIVERY_BATCH = 200
MAX_STEPS_PER_SWEEP = 8


@dataclass
class SweepReport:
    timers: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    jobs: list[str] = field(default_factory=list)
    deliveries: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {"timers": dict(self.timers), "jobs": self.jobs, "deliveries": self.deliveries, "errors": self.errors}


def _locked(queryset: QuerySet[Timer] | QuerySet[PeriodicJob]) -> QuerySet:  # type: ignore[type-arg]
    if connection.features.has_select_for_update_skip_locked:
        return queryset.select_for_update(skip_locked=True)
    return queryset


def sweep_run(*, now: datetime, kinds: set[str] | None = None) -> SweepReport:
    """Act on everything due at `now`. `kinds` limits the pass to some timer kinds (tests, replays)."""
    report = SweepReport()
    _timers_sweep(now=now, kinds=kinds, report=report)
    if kinds is None:
        _jobs_sweep(now=now, report=report)
        _deliveries_sweep(now=now, report=report)
    return report


def _timers_sweep(*, now: datetime, kinds: set[str] | None, report: SweepReport) -> None:
    # A replayed day (--as-of) may find a timer whose next step is already due: it goes round again, a few times
    # at most. A handler that never moves its timer would spin, so after MAX_STEPS_PER_SWEEP the clock stops.
    rounds: dict[int, int] = defaultdict(int)
    while True:
        with transaction.atomic():
            due = Timer.objects.filter(due_at__lte=now).order_by("due_at", "pk")
            if kinds is not None:
                due = due.filter(kind__in=kinds)
            batch = list(_locked(due)[:TIMER_BATCH])
            if not batch:
                return
            by_kind: dict[str, list[Timer]] = defaultdict(list)
            for timer in batch:
                by_kind[timer.kind].append(timer)
            for kind, timers in by_kind.items():
                handler = TIMER_HANDLERS.get(kind)
                if handler is None:
                    report.errors.append(f"no handler for timer kind {kind!r}")
                    for timer in timers:
                        timer.due_at = None
                    continue
                handler(timers, now)
                report.timers[kind] += len(timers)
            for timer in batch:
                timer.fired_at = now
                timer.fired_count += 1
                rounds[timer.pk] += 1
                if timer.due_at is not None and timer.due_at <= now and rounds[timer.pk] >= MAX_STEPS_PER_SWEEP:
                    log.error("timer %s still due after %s rounds; stopped", timer, MAX_STEPS_PER_SWEEP)
                    report.errors.append(f"timer {timer} stopped: its handler did not move it")
                    timer.due_at = None
            rows_update(objs=batch, fields=["due_at", "step", "fired_at", "fired_count", "payload"])


def _jobs_sweep(*, now: datetime, report: SweepReport) -> None:
    known = set(PeriodicJob.objects.values_list("code", flat=True))
    for spec in PERIODIC_JOBS.values():
        if spec.code not in known:
            PeriodicJob.objects.get_or_create(code=spec.code, defaults={"schedule": spec.schedule, "next_run_at": schedule_first(spec.schedule, now=now)})
    with transaction.atomic():
        for job in _locked(PeriodicJob.objects.filter(enabled=True, next_run_at__lte=now).order_by("next_run_at")):
            job_spec = PERIODIC_JOBS.get(job.code)
            if job_spec is None:
                continue
            try:
                with transaction.atomic():
                    job.last_result = job_spec.run(now)[:500]
            except Exception as error:
                log.exception("periodic job %s failed", job.code)
                job.last_result = f"error: {error}"[:500]
                report.errors.append(f"{job.code}: {error}")
            job.last_run_at = now
            job.next_run_at = schedule_next(job.schedule, after=now)
            job.save(update_fields=["last_run_at", "next_run_at", "last_result"])
            report.jobs.append(job.code)


def _deliveries_sweep(*, now: datetime, report: SweepReport) -> None:
    from xiaoguan.automation.delivery import deliveries_send_due

    report.deliveries += deliveries_send_due(now=now, limit=DELIVERY_BATCH)
