"""The lead clock's rules, run by the sweep (automation/sweep.py) when a `lead_sla` timer is due.

step 0  first contact due (60 business minutes)  → the rep is told the lead is overdue
step 1  2 business hours uncontacted             → the rep's manager is alerted
step 2  4 business hours uncontacted             → the manager's manager is alerted
step 3  untouched for N days (default 7)         → the lead returns to its region's pool (公海)
A first contact (leads/services/pool.py: lead_touched) moves the clock straight to step 3.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xiaoguan.automation.models import Timer
from xiaoguan.automation.registry import notification_kind, periodic_job, timer_handler
from xiaoguan.automation.services import NotificationDraft, notify_many
from xiaoguan.core.clock import day_start, org_tz
from xiaoguan.leads.models import Lead
from xiaoguan.leads.policy import escalation_due, lead_link, pool_return_due
from xiaoguan.leads.selectors import lead_list_visible_to, lead_sla_stats
from xiaoguan.leads.services.assign import (
    SLA_TIMER,
    STEP_ESCALATE_MANAGER,
    STEP_ESCALATE_SECOND,
    STEP_FIRST_CONTACT,
    STEP_POOL_RETURN,
)
from xiaoguan.leads.services.pool import lead_release_to_pool
from xiaoguan.org.models import Role, User

WORK_PHONE = ("wecom_notice", "dingtalk_notice")
notification_kind("lead_assigned", label=gettext_lazy("新线索分配"), default_channels=WORK_PHONE)
notification_kind("lead_recaptured", label=gettext_lazy("客户再次留资"), default_channels=WORK_PHONE)
notification_kind("lead_overdue", label=gettext_lazy("首次联系超时"), default_channels=WORK_PHONE)
notification_kind("lead_escalated", label=gettext_lazy("线索超时升级"), default_channels=(*WORK_PHONE, "email"))
notification_kind("lead_returned_to_pool", label=gettext_lazy("线索退回公海"), default_channels=())


def _minutes(since: datetime, now: datetime) -> int:
    return max(0, int((now - since).total_seconds() // 60))


@timer_handler(SLA_TIMER)
def lead_sla_rule(timers: Sequence[Timer], now: datetime) -> None:
    # Leads without joins, their owners (a few hundred people at most) once with their manager chain.
    leads = {
        lead.pk: lead
        for lead in Lead.objects.filter(pk__in=[t.subject_id for t in timers]).only(
            "pk", "external_id", "name", "company", "status", "owner_id", "assigned_at", "first_contact_at", "last_touched_at", "pool_since",
            "region_id",
        )
    }
    owners = User.objects.filter(pk__in={lead.owner_id for lead in leads.values() if lead.owner_id}).select_related("team", "manager__manager")
    people = {user.pk: user for user in owners}
    for each in leads.values():
        if each.owner_id in people:
            each.owner = people[each.owner_id]
    drafts: list[NotificationDraft] = []
    for timer in timers:
        lead = leads.get(timer.subject_id)
        if lead is None or lead.is_closed or lead.in_pool or lead.owner is None or lead.assigned_at is None:
            timer.due_at = None
            continue
        owner, assigned_at = lead.owner, lead.assigned_at
        team_id = owner.team_id
        # Each alert belongs to one assignment: a lead reassigned later starts a fresh series.
        series = f"{lead.pk}:{owner.pk}:{int(assigned_at.timestamp())}"
        if timer.step < STEP_POOL_RETURN and lead.first_contact_at is not None:
            timer.step, timer.due_at = STEP_POOL_RETURN, pool_return_due(touched_at=lead.last_touched_at or lead.first_contact_at, team_id=team_id)
            continue
        if timer.step == STEP_FIRST_CONTACT:
            drafts.append(NotificationDraft(
                recipient=owner, kind="lead_overdue", dedupe_key=f"lead-overdue:{series}",
                title=_("首次联系已超时：%(lead)s") % {"lead": lead},
                body=_("分配于 %(at)s，请立即联系客户。") % {"at": assigned_at.strftime("%m-%d %H:%M")},
                link=lead_link(lead), subject_kind="lead", subject_id=lead.pk,
            ))
            timer.step, timer.due_at = STEP_ESCALATE_MANAGER, escalation_due(assigned_at=assigned_at, team_id=team_id, level=1)
        elif timer.step in (STEP_ESCALATE_MANAGER, STEP_ESCALATE_SECOND):
            level = 1 if timer.step == STEP_ESCALATE_MANAGER else 2
            boss: User | None = owner.manager if level == 1 else (owner.manager.manager if owner.manager else None)
            if boss is not None and boss.is_active:
                drafts.append(NotificationDraft(
                    recipient=boss, kind="lead_escalated", dedupe_key=f"lead-escalated:{series}:{level}",
                    title=_("%(rep)s 的线索超时未联系：%(lead)s") % {"rep": owner.name, "lead": lead},
                    body=_("分配于 %(at)s，已过 %(minutes)s 分钟仍未首次联系（第 %(level)s 级升级）。") % {
                        "at": assigned_at.strftime("%m-%d %H:%M"), "minutes": _minutes(assigned_at, now), "level": level,
                    },
                    link=lead_link(lead), subject_kind="lead", subject_id=lead.pk,
                ))
            if level == 1:
                timer.step, timer.due_at = STEP_ESCALATE_SECOND, escalation_due(assigned_at=assigned_at, team_id=team_id, level=2)
            else:
                timer.step, timer.due_at = STEP_POOL_RETURN, pool_return_due(touched_at=assigned_at, team_id=team_id)
        elif timer.step == STEP_POOL_RETURN:
            touched = lead.last_touched_at or lead.first_contact_at or assigned_at
            due = pool_return_due(touched_at=max(touched, assigned_at), team_id=team_id)
            if due > now:
                timer.due_at = due
                continue
            lead_release_to_pool(lead=lead, now=now, reason=_("超过 %(days)s 天未跟进，自动退回公海") % {"days": (now - touched).days})
            timer.due_at = None
        else:
            timer.due_at = None
    notify_many(drafts=drafts, now=now)


notification_kind("lead_daily_digest", label=gettext_lazy("每日线索时效摘要"), default_channels=("email",))


@periodic_job("lead_daily_digest", schedule="daily 08:30")
def lead_daily_digest_job(now: datetime) -> str:
    """Each manager's morning line: yesterday's first responses and what is overdue now (seeds: ≤ 2 h, ≥ 95 % in 72 h)."""
    day = now.astimezone(org_tz()).date()
    since, until = day_start(day - timedelta(days=1)), day_start(day)
    drafts = []
    for manager in User.objects.filter(role=Role.MANAGER, is_active=True).select_related("team"):
        leads = lead_list_visible_to(user=manager)
        stats = lead_sla_stats(leads=leads.filter(assigned_at__lt=until), since=since, now=now)
        if not stats.assigned and not stats.overdue_now:
            continue
        p50 = "—" if stats.response_p50_minutes is None else f"{stats.response_p50_minutes:.0f}"
        within = "—" if stats.within_2h_rate is None else f"{stats.within_2h_rate:.0%}"
        drafts.append(NotificationDraft(
            recipient=manager, kind="lead_daily_digest", dedupe_key=f"lead-digest:{manager.pk}:{day.isoformat()}",
            title=_("线索时效日报 %(day)s") % {"day": (day - timedelta(days=1)).strftime("%m-%d")},
            body=_("昨日分配 %(assigned)s 条，已联系 %(contacted)s 条，首次响应中位数 %(p50)s 分钟，2 小时内响应 %(within)s；当前超时未联系 %(overdue)s 条。") % {
                "assigned": stats.assigned, "contacted": stats.contacted, "p50": p50, "within": within, "overdue": stats.overdue_now,
            },
            link="/leads-sla/",
        ))
    notify_many(drafts=drafts, now=now)
    return f"{len(drafts)} digests"
