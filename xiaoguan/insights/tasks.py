"""Background work of the insights (Django's tasks interface, run by `xiaoguan worker`): the snapshot backfill that
the forecast page offers, which computes the model once per Monday and so takes minutes on a big database."""

from __future__ import annotations

from datetime import date

from django.tasks import task

from xiaoguan.core.clock import clock_now


@task
def forecast_backfill_task(*, first: str, last: str) -> int:
    from xiaoguan.insights.snapshots import snapshots_backfill

    written = snapshots_backfill(first=date.fromisoformat(first), last=date.fromisoformat(last), now=clock_now())
    return sum(written.values())


@task
def cockpit_warm_task() -> dict[str, float]:
    from xiaoguan.insights.warm import cockpit_warm

    return cockpit_warm(now=clock_now())
