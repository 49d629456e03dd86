"""Notification kinds of keyword evidence, and the scan of imported activities (a timer the sweep runs)."""

from collections.abc import Sequence
from datetime import datetime

from django.utils.translation import gettext_lazy

from xiaoguan.activities.models import Activity
from xiaoguan.automation.models import Timer
from xiaoguan.automation.registry import notification_kind, timer_handler

COMPETITOR_PRICE = notification_kind(
    "competitor_price", label=gettext_lazy("报价阶段出现竞品与价格"), default_channels=("wecom_notice", "dingtalk_notice")
)

IMPORT_SCAN_TIMER = "evidence_import_scan"


@timer_handler(IMPORT_SCAN_TIMER)
def evidence_import_scan_rule(timers: Sequence[Timer], now: datetime) -> None:
    # The activities an import wrote (ids above the timer's `after_id`), scanned as history: tags, no alerts.
    from xiaoguan.evidence.services import activities_evidence_scan

    for timer in timers:
        after = int((timer.payload or {}).get("after_id") or 0)
        activities_evidence_scan(activities=Activity.objects.filter(pk__gt=after), now=now)
        timer.due_at = None
