"""The targets app's job for the sweep: the monthly target-fit report (目标适配度报告), ready by the 5th.

Seeds (article 000): "每月5日前自动生成《目标适配度报告》，用热力图呈现各区域目标完成概率（红/黄/绿三色分级），支持管理者手动微调±15%".
The job looks every morning; on the 1st–5th, when the month has no report yet, it queues the build. The build reads
for seconds to a minute (the forecast's simulation, the authenticity scoring), so it runs as a background task rather
than inside the sweep's transaction, which on SQLite holds the write lock; the report's unique month makes a second
build a no-op.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext_lazy

from xiaoguan.automation.registry import notification_kind, periodic_job
from xiaoguan.core.clock import org_tz
from xiaoguan.targets.selectors import target_fit_report_get
from xiaoguan.targets.services import month_of

notification_kind("target_fit_report", label=gettext_lazy("目标适配度报告"), default_channels=("wecom_notice", "dingtalk_notice"))

REPORT_LAST_DAY = 5


def target_fit_report_due(*, now: datetime) -> str | None:
    """The month whose report should be built now, or None (after the 5th, or already built)."""
    if now.astimezone(org_tz()).day > REPORT_LAST_DAY:
        return None
    month = month_of(now)
    return None if target_fit_report_get(month=month) is not None else month


@periodic_job("target_fit_report", schedule="daily 06:30")
def target_fit_report_job(now: datetime) -> str:
    month = target_fit_report_due(now=now)
    if month is None:
        return "nothing to build"
    from xiaoguan.targets.tasks import target_fit_report_build_task

    transaction.on_commit(lambda: target_fit_report_build_task.enqueue(month=month))
    return f"target-fit report {month} queued"
