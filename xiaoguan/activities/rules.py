"""Follow-up reminders, run by the sweep: a to-do (待办) that falls due tells its owner, once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xiaoguan.activities.models import Task
from xiaoguan.activities.services import TASK_DUE_TIMER
from xiaoguan.automation.followup import FOLLOW_UP_TIMER
from xiaoguan.automation.models import Timer
from xiaoguan.automation.registry import notification_kind, timer_handler
from xiaoguan.automation.services import NotificationDraft, notify_many
from xiaoguan.customers.models import Account
from xiaoguan.opportunities.models import Opportunity

notification_kind("follow_up_due", label=gettext_lazy("跟进提醒"), default_channels=("wecom_notice", "dingtalk_notice"))
notification_kind("meeting_decision", label=gettext_lazy("例会决议"), default_channels=("wecom_notice", "dingtalk_notice"))


def _task_link(task: Task) -> str:
    if task.opportunity is not None:
        return reverse("web:opportunity_detail", args=[task.opportunity.external_id])
    if task.account is not None:
        return reverse("web:account_detail", args=[task.account.external_id])
    if task.lead is not None:
        return reverse("web:lead_detail", args=[task.lead.external_id])
    return reverse("web:home")


@timer_handler(TASK_DUE_TIMER)
def task_due_rule(timers: Sequence[Timer], now: datetime) -> None:
    tasks = {t.pk: t for t in Task.objects.filter(pk__in=[t.subject_id for t in timers]).select_related("owner", "account", "opportunity", "lead")}
    drafts = []
    for timer in timers:
        task = tasks.get(timer.subject_id)
        timer.due_at = None
        if task is None or task.done_at is not None or not task.owner.is_active:
            continue
        if task.due_at > now:  # moved later since the timer was armed
            timer.due_at = task.due_at
            continue
        drafts.append(NotificationDraft(
            recipient=task.owner, kind="follow_up_due", title=_("跟进提醒：%(title)s") % {"title": task.title},
            body=_("截止 %(at)s") % {"at": task.due_at.strftime("%m-%d %H:%M")}, link=_task_link(task),
            subject_kind="task", subject_id=task.pk, dedupe_key=f"task-due:{task.pk}:{int(task.due_at.timestamp())}",
        ))
    notify_many(drafts=drafts, now=now)


@timer_handler(FOLLOW_UP_TIMER)
def record_follow_up_rule(timers: Sequence[Timer], now: datetime) -> None:
    """An account's or a deal's "next follow-up" time has come: its owner is reminded (unless a to-do already does it)."""
    drafts = []
    for timer in timers:
        record: Account | Opportunity | None = None
        if timer.subject_kind == "account":
            record = Account.objects.select_related("owner").filter(pk=timer.subject_id).first()
        elif timer.subject_kind == "opportunity":
            record = Opportunity.objects.select_related("owner").filter(pk=timer.subject_id).first()
        timer.due_at = None
        if record is None or record.owner is None or not record.owner.is_active or record.next_follow_up_at is None:
            continue
        if record.next_follow_up_at > now:  # moved later since the timer was armed
            timer.due_at = record.next_follow_up_at
            continue
        if isinstance(record, Opportunity) and record.status != Opportunity.Status.OPEN:
            continue
        open_task = Task.objects.filter(done_at__isnull=True, due_at=record.next_follow_up_at, **{timer.subject_kind: record}).exists()
        if open_task:  # the to-do planned with that time reminds on its own
            continue
        link = reverse("web:opportunity_detail" if isinstance(record, Opportunity) else "web:account_detail", args=[record.external_id])
        drafts.append(NotificationDraft(
            recipient=record.owner, kind="follow_up_due", title=_("该跟进了：%(subject)s") % {"subject": record},
            body=_("计划跟进时间 %(at)s") % {"at": record.next_follow_up_at.strftime("%m-%d %H:%M")}, link=link,
            subject_kind=timer.subject_kind, subject_id=record.pk,
            dedupe_key=f"follow-up:{timer.subject_kind}:{record.pk}:{int(record.next_follow_up_at.timestamp())}",
        ))
    notify_many(drafts=drafts, now=now)
