"""Background tasks of the targets app: thin wrappers over the services, run by `xiaoguan worker`."""

from __future__ import annotations

from django.tasks import task

from xiaoguan.core.clock import clock_now


@task
def target_fit_report_build_task(*, month: str) -> str:
    """Build the month's target-fit report (a no-op when it exists)."""
    from xiaoguan.targets.services import target_fit_report_build

    report, created = target_fit_report_build(now=clock_now(), month=month)
    return f"{report.month} {'built' if created else 'already there'}"
