"""Writes on activities (跟进记录) and tasks (待办)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from xiaoguan.activities.models import Activity, MeetingDecision, Task
from xiaoguan.automation.services import notify, timer_arm, timers_stop
from xiaoguan.core.clock import clock_now, org_tz
from xiaoguan.core.errors import InvalidStateError, NotAllowedError, ValidationFailedError
from xiaoguan.customers.models import Account
from xiaoguan.evidence.services import activity_evidence_scan
from xiaoguan.leads.models import Lead
from xiaoguan.leads.services import lead_touched
from xiaoguan.opportunities.models import Opportunity
from xiaoguan.org.models import User
from xiaoguan.org.visibility import can_change

# A phone's clock may run a little ahead of the server's; beyond this, "occurred in the future" is a typo.
CLOCK_SKEW = timedelta(minutes=5)
TASK_DUE_TIMER = "task_due"


@transaction.atomic
def activity_log(
    *,
    by: User,
    now: datetime,
    kind: str,
    account: Account | None = None,
    opportunity: Opportunity | None = None,
    lead: Lead | None = None,
    occurred_at: datetime | None = None,
    content: str = "",
    duration_seconds: int | None = None,
    lat: Decimal | None = None,
    lng: Decimal | None = None,
    next_follow_up_at: datetime | None = None,
) -> Activity:
    """Record what the user did. `recorded_at` is always now: the gap to `occurred_at` is evidence."""
    if opportunity is not None and account is None:
        account = opportunity.account
    if account is None and opportunity is None and lead is None:
        raise ValidationFailedError(field_errors={"account": [_("请选择客户、商机或线索")]})
    for subject_owner in (account.owner if account else None, opportunity.owner if opportunity else None, lead.owner if lead else None):
        if subject_owner is not None and not can_change(user=by, owner=subject_owner):
            raise NotAllowedError()
    occurred_at = occurred_at or now
    errors: dict[str, list[str]] = {}
    if kind not in Activity.Kind.values:
        errors["kind"] = [_("请选择跟进方式")]
    if occurred_at > now + CLOCK_SKEW:
        errors["occurred_at"] = [_("发生时间不能晚于现在")]
    if next_follow_up_at is not None and next_follow_up_at <= now:
        errors["next_follow_up_at"] = [_("下次跟进时间应晚于现在")]
    if (lat is None) != (lng is None):
        errors["lat"] = [_("定位信息不完整")]
    if errors:
        raise ValidationFailedError(field_errors=errors)
    activity = Activity(
        owner=by, account=account, opportunity=opportunity, lead=lead, kind=kind, occurred_at=occurred_at,
        recorded_at=now, duration_seconds=duration_seconds, content=content.strip(), lat=lat, lng=lng,
    )
    activity.full_clean()
    activity.save()
    # Keyword evidence (报价, 合同, 三方比价 …) tags the record and its deal; it never moves a stage.
    activity_evidence_scan(activity=activity, now=now)
    if lead is not None:
        # A call, visit or message proves first contact and stops the escalation clock; a note does not.
        lead_touched(lead=lead, at=occurred_at, kind=kind, now=now)
    if next_follow_up_at is not None:
        _plan_follow_up(by=by, now=now, due_at=next_follow_up_at, account=account, opportunity=opportunity, lead=lead)
    return activity


def _plan_follow_up(*, by: User, now: datetime, due_at: datetime, account: Account | None, opportunity: Opportunity | None, lead: Lead | None) -> None:
    for record in (account, opportunity):
        if record is not None:
            record.next_follow_up_at = due_at
            record.save(update_fields=["next_follow_up_at", "updated_at"])
    subject = opportunity or account or lead
    task = Task.objects.create(
        owner=by, title=(_("跟进 %(subject)s") % {"subject": subject})[:200], due_at=due_at, source=Task.Source.FOLLOW_UP,
        created_at=now, account=account, opportunity=opportunity, lead=lead,
    )
    task_reminder_arm(task=task, now=now)


def task_reminder_arm(*, task: Task, now: datetime) -> None:
    """The owner is reminded when the to-do falls due (activities/rules.py), unless it is done by then."""
    timer_arm(kind=TASK_DUE_TIMER, subject_kind="task", subject_id=task.pk, due_at=max(task.due_at, now), now=now)


@transaction.atomic
def task_create(
    *,
    by: User,
    now: datetime,
    title: str,
    due_at: datetime,
    owner: User | None = None,
    account: Account | None = None,
    opportunity: Opportunity | None = None,
    lead: Lead | None = None,
    source: str = Task.Source.MANUAL,
) -> Task:
    owner = owner or by
    if not can_change(user=by, owner=owner):
        raise NotAllowedError()
    if not title.strip():
        raise ValidationFailedError(field_errors={"title": [_("请填写待办事项")]})
    task = Task.objects.create(
        owner=owner, title=title.strip()[:200], due_at=due_at, source=source, created_at=now,
        account=account, opportunity=opportunity, lead=lead,
    )
    task_reminder_arm(task=task, now=now)
    return task


@transaction.atomic
def meeting_decision_create(
    *, by: User, owner: User, text: str, deliverable: str, due_at: datetime, week: date, now: datetime,
) -> MeetingDecision:
    """A decision of the weekly meeting becomes a to-do for someone in the manager's line, with what to deliver.

    The owner hears of it at once (the to-do itself only shows in their list on the day it falls due).
    """
    errors: dict[str, list[str]] = {}
    if not text.strip():
        errors["text"] = [_("请填写决议内容")]
    if not deliverable.strip():
        errors["deliverable"] = [_("请写明交付物")]
    if due_at <= now:
        errors["due_at"] = [_("截止时间应晚于现在")]
    if errors:
        raise ValidationFailedError(field_errors=errors)
    if not owner.is_active or not can_change(user=by, owner=owner):
        raise NotAllowedError()
    text, deliverable = text.strip()[:200], deliverable.strip()[:200]
    title = _("%(text)s（交付物：%(deliverable)s）") % {"text": text, "deliverable": deliverable}
    task = task_create(by=by, owner=owner, now=now, title=title[:200], due_at=due_at, source=Task.Source.MEETING)
    decision = MeetingDecision.objects.create(task=task, week=week, decided_by=by, text=text, deliverable=deliverable, created_at=now)
    if owner.pk != by.pk:
        notify(
            recipient=owner, kind="meeting_decision", dedupe_key=f"meeting-decision:{task.pk}", now=now,
            title=_("例会决议：%(text)s") % {"text": text},
            body=_("%(by)s 安排，交付物：%(deliverable)s，截止 %(due)s。") % {
                "by": by.name, "deliverable": deliverable, "due": due_at.astimezone(org_tz()).strftime("%m-%d %H:%M"),
            },
            link="/", subject_kind="task", subject_id=task.pk,
        )
    return decision


@transaction.atomic
def task_complete(*, task: Task, by: User, now: datetime) -> Task:
    if not can_change(user=by, owner=task.owner):
        raise NotAllowedError()
    if task.done_at is not None:
        raise InvalidStateError(_("待办已完成"))
    task.done_at = now
    task.save(update_fields=["done_at"])
    timers_stop(kind=TASK_DUE_TIMER, subject_kind="task", subject_ids=[task.pk])
    return task


@transaction.atomic
def task_reopen(*, task: Task, by: User) -> Task:
    """Undo a completion (the page offers it right after "done")."""
    if not can_change(user=by, owner=task.owner):
        raise NotAllowedError()
    task.done_at = None
    task.save(update_fields=["done_at"])
    task_reminder_arm(task=task, now=clock_now())
    return task

