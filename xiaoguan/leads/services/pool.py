"""First contact (proven by an activity), and the lead pool (公海): leads nobody works go back, a rep of the region claims them."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from xiaoguan.automation.services import notify, timer_arm
from xiaoguan.core.clock import day_start, org_tz
from xiaoguan.core.errors import InvalidStateError, NotAllowedError
from xiaoguan.core.history import history_record
from xiaoguan.core.models import HistoryEntry
from xiaoguan.leads.models import Lead, LeadAssignment, LeadPolicy
from xiaoguan.leads.policy import lead_link, lead_policy_for, pool_return_due
from xiaoguan.leads.services.assign import SLA_TIMER, STEP_POOL_RETURN, SUBJECT, lead_assign, lead_clock_stop
from xiaoguan.org.models import Role, User

# Activities that reach the customer. A note or a check-in alone does not prove the lead was contacted.
CONTACT_KINDS = frozenset({"call", "visit", "wecom_message", "email", "meeting", "demo"})


def lead_touched(*, lead: Lead, at: datetime, kind: str, now: datetime) -> None:
    """An activity on the lead happened at `at`. A contact stops the escalation clock; any touch defers the pool."""
    fields = []
    if lead.last_touched_at is None or at > lead.last_touched_at:
        lead.last_touched_at = at
        fields.append("last_touched_at")
    first_contact = kind in CONTACT_KINDS and lead.first_contact_at is None and lead.owner_id is not None
    if first_contact:
        lead.first_contact_at = at
        fields.append("first_contact_at")
        if lead.status in (Lead.Status.NEW, Lead.Status.ASSIGNED):
            lead.status = Lead.Status.CONTACTED
            fields.append("status")
    if not fields:
        return
    lead.save(update_fields=[*fields, "updated_at"])
    if first_contact and not lead.is_closed:
        team_id = lead.owner.team_id if lead.owner else None
        # From now on only the pool clock runs; it re-checks last_touched_at when due, so later touches cost nothing here.
        timer_arm(kind=SLA_TIMER, subject_kind=SUBJECT, subject_id=lead.pk, due_at=pool_return_due(touched_at=at, team_id=team_id), step=STEP_POOL_RETURN, now=now)


@transaction.atomic
def lead_release_to_pool(*, lead: Lead, now: datetime, reason: str, by: User | None = None) -> Lead:
    """The lead leaves its owner and waits in its region's pool."""
    if lead.is_closed:
        raise InvalidStateError(_("线索已关闭"))
    if lead.in_pool:
        return lead
    previous = lead.owner
    lead.owner, lead.pool_since, lead.first_contact_due_at = None, now, None
    if lead.status == Lead.Status.ASSIGNED:
        lead.status = Lead.Status.NEW
    if lead.region_id is None and previous is not None and previous.team is not None:
        lead.region = previous.team.region()
    lead.save(update_fields=["owner", "pool_since", "first_contact_due_at", "status", "region", "updated_at"])
    LeadAssignment.objects.create(lead=lead, rep=None, at=now, by=by, kind=LeadAssignment.Kind.RELEASED, reason=reason[:500])
    history_record(subject=lead, actor=by, action=HistoryEntry.Action.UPDATED, at=now, changes={"owner": [str(previous or ""), ""]}, note=reason)
    lead_clock_stop(lead_ids=[lead.pk])
    if previous is not None:
        notify(
            recipient=previous, kind="lead_returned_to_pool", title=_("线索已退回公海：%(lead)s") % {"lead": lead}, body=reason,
            link=lead_link(lead), subject_kind=SUBJECT, subject_id=lead.pk, dedupe_key=f"lead-pool:{lead.pk}:{int(now.timestamp())}", now=now,
        )
    return lead


def lead_pool_claims_today(*, rep: User, now: datetime) -> int:
    return LeadAssignment.objects.filter(rep=rep, kind=LeadAssignment.Kind.CLAIMED, at__gte=day_start(now.astimezone(org_tz()).date())).count()


@transaction.atomic
def lead_claim(*, lead: Lead, rep: User, now: datetime) -> Lead:
    """A rep of the lead's region takes it from the pool, within the daily claim limit."""
    if rep.role not in (Role.REP, Role.MANAGER) or not rep.is_active:
        raise NotAllowedError(_("只有销售可以领取公海线索"))
    # Lock the row: two reps tapping "领取" at once — the second finds it taken.
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if not lead.in_pool or lead.is_closed:
        raise InvalidStateError(_("这条线索已被领取"))
    region = rep.team.region() if rep.team else None
    if region is None or lead.region_id != region.pk:
        raise NotAllowedError(_("只能领取本大区公海中的线索"))
    limit = lead_policy_for(team_id=rep.team_id).pool_claim_daily_limit
    if lead_pool_claims_today(rep=rep, now=now) >= limit:
        raise InvalidStateError(_("今天已领取 %(limit)s 条，达到每日上限") % {"limit": limit})
    return lead_assign(lead=lead, rep=rep, now=now, kind=LeadAssignment.Kind.CLAIMED, by=rep, reason=_("从公海领取"))


@transaction.atomic
def lead_policy_save(*, by: User, now: datetime, values: dict[str, int], team_id: int | None = None) -> None:
    """Change the lead clock's numbers (company default, or one team's); the change is kept in history."""
    if by.role not in (Role.ADMIN, Role.DIRECTOR) and not by.is_superuser:
        raise NotAllowedError()
    if not values["first_contact_minutes"] < values["escalate_manager_minutes"] < values["escalate_second_minutes"]:
        raise InvalidStateError(_("时限应依次递增：首次联系 < 升级到直属上级 < 升级到上上级"))
    existing = LeadPolicy.objects.filter(team__isnull=True) if team_id is None else LeadPolicy.objects.filter(team_id=team_id)
    policy = existing.first() or LeadPolicy(team_id=team_id)
    changes = {k: [getattr(policy, k, None), v] for k, v in values.items() if getattr(policy, k, None) != v}
    for key, value in values.items():
        setattr(policy, key, value)
    policy.save()
    history_record(subject=policy, actor=by, action=HistoryEntry.Action.UPDATED, at=now, changes=changes)
