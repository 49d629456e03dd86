"""Stale deals (seed 001: "某客户超7天无新互动"), found by a periodic job of the sweep, set-wise, once per episode.

level 1  N workdays in the current stage (Pipeline.stale_stage_workdays, default 5)  → the owner
level 2  STALE_ESCALATE_WORKDAYS more workdays and still there                      → the owner's manager
level 1  M days without any interaction (activity or touch event; default 7)          → the owner
level 2  STALE_ESCALATE_DAYS more days of silence                                     → the owner's manager

Each alert's dedupe key names the episode (the deal, and when it entered the stage / was last touched), so a replayed
day or a second run says nothing new, and a deal that moves or is touched starts a fresh episode.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Max
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xiaoguan.activities.models import Activity
from xiaoguan.automation.registry import notification_kind, periodic_job
from xiaoguan.automation.services import NotificationDraft, notify_many
from xiaoguan.core.clock import org_tz
from xiaoguan.engagement.models import TouchEvent
from xiaoguan.opportunities.models import Opportunity, StageHistory
from xiaoguan.org.models import User
from xiaoguan.worktime.selectors import is_workday

STALE_ESCALATE_WORKDAYS = 2
STALE_ESCALATE_DAYS = 3

notification_kind("stage_approval", label=gettext_lazy("阶段推进审批"), default_channels=("wecom_notice", "dingtalk_notice"))
notification_kind("opportunity_stale", label=gettext_lazy("商机停滞预警"), default_channels=("wecom_notice", "dingtalk_notice"))


class WorkdayCounter:
    """Workdays in (start, end] by two bisections over one list of the span's workdays (company calendar)."""

    def __init__(self, first: date, last: date) -> None:
        self.days = [first + timedelta(days=i) for i in range((last - first).days + 1) if is_workday(first + timedelta(days=i))]

    def between(self, start: date, end: date) -> int:
        return max(0, bisect_right(self.days, end) - bisect_right(self.days, start))


@dataclass(frozen=True)
class StaleFinding:
    opportunity: Opportunity
    reason: str  # "stage" or "silence"
    since: datetime
    level: int
    amount: int  # workdays in stage or days of silence


def stale_findings(*, now: datetime) -> list[StaleFinding]:
    """Open deals stuck in a stage or silent, as of `now` (only what was recorded before it counts)."""
    deals = list(
        Opportunity.objects.filter(status=Opportunity.Status.OPEN, created_at__lte=now)
        .select_related("pipeline", "stage", "owner__manager")
        .only("pk", "external_id", "name", "created_at", "stage__name", "pipeline__stale_stage_workdays", "pipeline__stale_silence_days",
              "owner__name", "owner__is_active", "owner__manager__name", "owner__manager__is_active", "owner__manager__manager_id",
              "account_id", "stage_id", "pipeline_id", "owner_id")
    )
    if not deals:
        return []
    ids = [d.pk for d in deals]
    entered: dict[tuple[int, int], datetime] = {
        (row["opportunity_id"], row["stage_id"]): row["at"]
        for row in StageHistory.objects.filter(opportunity_id__in=ids, entered_at__lte=now).values("opportunity_id", "stage_id").annotate(at=Max("entered_at"))
    }
    touched: dict[int, datetime] = {}
    for model in (Activity, TouchEvent):
        for row in model.objects.filter(opportunity_id__in=ids, occurred_at__lte=now).values("opportunity_id").annotate(at=Max("occurred_at")):
            touched[row["opportunity_id"]] = max(row["at"], touched.get(row["opportunity_id"], row["at"]))
    tz, today = org_tz(), now.astimezone(org_tz()).date()
    first = min(d.created_at for d in deals).astimezone(tz).date()
    counter = WorkdayCounter(max(first, today - timedelta(days=3 * 365)), today)
    findings: list[StaleFinding] = []
    for deal in deals:
        since = entered.get((deal.pk, deal.stage_id), deal.created_at)
        # Whole workdays since the entry day, today not yet over.
        workdays = counter.between(since.astimezone(tz).date(), today - timedelta(days=1))
        limit = deal.pipeline.stale_stage_workdays
        if limit and workdays >= limit:
            level = 2 if workdays >= limit + STALE_ESCALATE_WORKDAYS else 1
            findings.append(StaleFinding(deal, "stage", since, level, workdays))
        last = touched.get(deal.pk, deal.created_at)
        silent_days = (now - last).days
        quiet = deal.pipeline.stale_silence_days
        if quiet and silent_days >= quiet:
            level = 2 if silent_days >= quiet + STALE_ESCALATE_DAYS else 1
            findings.append(StaleFinding(deal, "silence", last, level, silent_days))
    return findings


def _drafts(finding: StaleFinding) -> list[NotificationDraft]:
    deal, owner = finding.opportunity, finding.opportunity.owner
    episode = f"{deal.pk}:{int(finding.since.timestamp())}"
    if finding.reason == "stage":
        title = _("商机在“%(stage)s”已停留 %(n)s 个工作日：%(deal)s") % {"stage": deal.stage.name, "n": finding.amount, "deal": deal}
    else:
        title = _("商机已 %(n)s 天无互动：%(deal)s") % {"n": finding.amount, "deal": deal}
    link = f"/deals/{deal.external_id}/"
    drafts: list[NotificationDraft] = []
    recipients: list[tuple[int, User | None]] = [(1, owner)]
    if finding.level >= 2:
        recipients.append((2, owner.manager))
    for level, person in recipients:
        if person is None or not person.is_active:
            continue
        body = _("负责人：%(owner)s。请确认卡点并安排下一步。") % {"owner": owner.name} if level == 2 else _("请推进或记录最新进展。")
        drafts.append(NotificationDraft(
            recipient=person, kind="opportunity_stale", title=title, body=body, link=link, subject_kind="opportunity", subject_id=deal.pk,
            dedupe_key=f"stale-{finding.reason}:{episode}:{level}",
        ))
    return drafts


@periodic_job("opportunity_stale", schedule="every 1h")
def opportunity_stale_job(now: datetime) -> str:
    drafts = [draft for finding in stale_findings(now=now) for draft in _drafts(finding)]
    created = notify_many(drafts=drafts, now=now)
    return f"{len(created)} stale alerts"
