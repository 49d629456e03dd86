"""Giving leads to reps: one at a time (capture, claim, manual) or set-based (bulk routing), each with its reason.

An assignment starts the lead's clock (a `lead_sla` Timer: first contact due, then escalations, then the pool) and
tells the rep: the bell's row inside the transaction, their phone and mail after commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils.translation import gettext as _

from xiaoguan.automation.services import (
    NotificationDraft,
    TimerSpec,
    notify_many,
    notify_plan,
    timer_arm_plan,
    timers_arm,
    timers_stop,
)
from xiaoguan.core.bulk import WriteBatch, row_insert, rows_insert, rows_update
from xiaoguan.core.clock import org_tz
from xiaoguan.core.errors import InvalidStateError
from xiaoguan.leads.models import Lead, LeadAssignment, RepDailyIntake
from xiaoguan.leads.policy import first_contact_due, lead_link, pool_return_due
from xiaoguan.org.models import User
from xiaoguan.org.selectors import team_region_id

SLA_TIMER = "lead_sla"
SUBJECT = "lead"

# Steps of the lead clock (the Timer's `step`); the handlers live in leads/rules.py.
STEP_FIRST_CONTACT = 0
STEP_ESCALATE_MANAGER = 1
STEP_ESCALATE_SECOND = 2
STEP_POOL_RETURN = 3


@dataclass(frozen=True)
class PlannedAssignment:
    lead_id: int
    rep_id: int
    rule_id: int | None = None
    rule_name: str = ""
    rule_version: int | None = None
    reason: str = ""
    details: dict[str, Any] = field(default_factory=dict)


# What an assignment changes on the lead; `_lead_give` sets them in memory, the callers write them.
ASSIGNED_FIELDS = ("owner", "assigned_at", "pool_since", "status", "routing_reason", "first_contact_due_at", "region", "updated_at")


def _lead_give(lead: Lead, *, rep_id: int, now: datetime, reason: str, due_at: datetime, region_id: int | None) -> None:
    lead.owner_id, lead.assigned_at, lead.pool_since = rep_id, now, None
    if lead.status == Lead.Status.NEW:
        lead.status = Lead.Status.ASSIGNED
    lead.routing_reason = reason[:500]
    # A lead already contacted (claimed back from the pool, re-routed) has no first-contact clock to run.
    lead.first_contact_due_at = None if lead.first_contact_at else due_at
    if lead.region_id is None:
        lead.region_id = region_id
    lead.updated_at = now


def _rep_region_id(rep: User) -> int | None:
    return team_region_id(rep.team_id) if rep.team_id is not None else None


def _assigned_dedupe(lead: Lead, now: datetime) -> str:
    return f"lead-assigned:{lead.pk}:{lead.owner_id}:{int(now.timestamp())}"


def lead_assign(
    *,
    lead: Lead,
    rep: User,
    now: datetime,
    kind: str = LeadAssignment.Kind.MANUAL,
    by: User | None = None,
    rule_id: int | None = None,
    rule_name: str = "",
    rule_version: int | None = None,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> Lead:
    """Give the lead to `rep`, record why, start its first-contact clock and tell the rep."""
    if lead.is_closed:
        raise InvalidStateError(_("线索已关闭，不能分配"))
    if not rep.is_active:
        raise InvalidStateError(_("%(name)s 已停用，不能接收线索") % {"name": rep.name})
    # The refusals above come before the transaction; below, no savepoint of its own (a failure rolls back the
    # caller's whole transaction, and nothing here is ever undone alone): capture pays for no SAVEPOINT round trips.
    with transaction.atomic(savepoint=False):
        return _assign_one(lead=lead, rep=rep, now=now, kind=kind, by=by, rule_id=rule_id, rule_name=rule_name,
                           rule_version=rule_version, reason=reason, details=details)


def _assign_one(
    *, lead: Lead, rep: User, now: datetime, kind: str, by: User | None, rule_id: int | None, rule_name: str, rule_version: int | None,
    reason: str, details: dict[str, Any] | None,
) -> Lead:
    batch = WriteBatch()
    lead_assign_plan(batch, lead=lead, rep=rep, now=now, kind=kind, by=by, rule_id=rule_id, rule_name=rule_name, rule_version=rule_version,
                     reason=reason, details=details)
    batch.run(savepoint=False)
    return lead


def lead_assign_plan(
    batch: WriteBatch,
    *,
    lead: Lead,
    rep: User,
    now: datetime,
    kind: str,
    by: User | None = None,
    rule_id: int | None = None,
    rule_name: str = "",
    rule_version: int | None = None,
    reason: str = "",
    details: dict[str, Any] | None = None,
    cap: int | None = None,
    new: bool = False,
) -> None:
    """What `lead_assign` writes, as rows of the caller's WriteBatch: the rep's count of the day, the lead (given in
    memory here), its assignment row, its clock and the rep's bell.

    `cap`: the rep's daily cap the routing decision saw; the count's upsert then guards it (another request that
    filled the last place first makes the batch stale). `new`: the lead is written by this batch, already owned
    (one INSERT instead of an INSERT and an UPDATE). The count comes first, so a stale batch has written nothing.
    """
    _intake_plan(batch, rep_id=rep.pk, now=now, cap=cap)
    _lead_give(
        lead, rep_id=rep.pk, now=now, reason=reason, due_at=first_contact_due(assigned_at=now, team_id=rep.team_id), region_id=_rep_region_id(rep),
    )
    lead.owner = rep
    if new:
        batch.insert(lead)
    else:
        batch.update(lead, fields=ASSIGNED_FIELDS)
    batch.insert(LeadAssignment(
        lead=lead, rep=rep, at=now, by=by, kind=kind, rule_id=rule_id, rule_name=rule_name[:100], rule_version=rule_version,
        reason=reason[:500], details=details or {},
    ))
    timer_arm_plan(batch, kind=SLA_TIMER, subject_kind=SUBJECT, spec=_clock_spec(lead, now=now), now=now)
    notify_plan(batch, draft=NotificationDraft(
        recipient=rep, kind="lead_assigned", title=_("新线索：%(lead)s") % {"lead": lead}, body=reason, link=lead_link(lead),
        subject_kind=SUBJECT, subject_id=lead.pk, dedupe_key=_assigned_dedupe(lead, now),
    ), now=now)


def _intake_plan(batch: WriteBatch, *, rep_id: int, now: datetime, cap: int | None) -> None:
    table = RepDailyIntake._meta.db_table
    day = now.astimezone(org_tz()).date().isoformat()
    sql = (
        f"INSERT INTO {table} (rep_id, day, assigned) VALUES (%s, %s, 1)"  # noqa: S608 — the model's table
        f" ON CONFLICT (rep_id, day) DO UPDATE SET assigned = {table}.assigned + 1"
    )
    if cap is None:
        batch.statement(sql, [rep_id, day])
    else:
        batch.guard(f"{sql} WHERE {table}.assigned < %s RETURNING assigned", [rep_id, day, cap])


# No savepoint of its own: on SQLite, tens of thousands of row updates inside a SAVEPOINT slow down quadratically
# (measured: 20,000 lead updates 0.4 s in a plain transaction, 29 s inside a savepoint). A failure here fails the
# caller's whole transaction anyway.
@transaction.atomic(savepoint=False)
def lead_assign_bulk(*, assignments: Sequence[PlannedAssignment], now: datetime, by: User | None = None, kind: str = LeadAssignment.Kind.ROUTED) -> int:
    """The set-based `lead_assign` for bulk routing: a handful of statements per rep, not per lead.

    Each rep gets one summary notification for the batch rather than one per lead.
    """
    if not assignments:
        return 0
    reps = {u.pk: u for u in User.objects.filter(pk__in={a.rep_id for a in assignments}).select_related("team")}
    inactive = [r.name for r in reps.values() if not r.is_active]
    if inactive:
        raise InvalidStateError(_("已停用的销售不能接收线索：%(names)s") % {"names": "、".join(inactive)})
    leads = {lead.pk: lead for lead in Lead.objects.filter(pk__in=[a.lead_id for a in assignments]).only(
        "pk", "status", "first_contact_at", "region_id", "owner_id", "name", "company", "external_id",
    )}
    closed = [lead for lead in leads.values() if lead.is_closed]
    if closed:
        raise InvalidStateError(_("线索已关闭，不能分配：%(ids)s") % {"ids": ", ".join(lead.external_id for lead in closed[:5])})
    changed: list[Lead] = []
    log: list[tuple[Any, ...]] = []
    per_rep: dict[int, int] = {}
    # Everyone assigned at `now`: one due time and one region per rep, not one computation per lead.
    due_for = {rep.pk: first_contact_due(assigned_at=now, team_id=rep.team_id) for rep in reps.values()}
    region_for = {rep.pk: _rep_region_id(rep) for rep in reps.values()}
    by_id = by.pk if by else None
    for plan in assignments:
        lead, rep_id = leads[plan.lead_id], plan.rep_id
        _lead_give(lead, rep_id=rep_id, now=now, reason=plan.reason, due_at=due_for[rep_id], region_id=region_for[rep_id])
        changed.append(lead)
        log.append((lead.pk, rep_id, now, by_id, kind, plan.rule_id, plan.rule_name[:100], plan.rule_version, plan.reason[:500], plan.details))
        per_rep[rep_id] = per_rep.get(rep_id, 0) + 1
    rows_update(objs=changed, fields=ASSIGNED_FIELDS)
    rows_insert(
        model=LeadAssignment, rows=log,
        fields=["lead", "rep", "at", "by", "kind", "rule_id", "rule_name", "rule_version", "reason", "details"],
    )
    _intake_add(per_rep, now=now)
    _clock_start(changed, now=now)
    stamp = int(now.timestamp())
    notify_many(
        drafts=[
            NotificationDraft(
                recipient=reps[rep_id], kind="lead_assigned", title=_("新分配 %(count)s 条线索") % {"count": count},
                link="/leads/?status=assigned", dedupe_key=f"lead-assigned-bulk:{rep_id}:{stamp}:{count}",
            )
            for rep_id, count in per_rep.items()
        ],
        now=now,
    )
    return len(changed)


def assignment_log(
    *, lead: Lead, rep: User, now: datetime, kind: str, by: User | None = None, rule_id: int | None = None, rule_name: str = "",
    rule_version: int | None = None, reason: str = "", details: dict[str, Any] | None = None,
) -> None:
    """Record that `rep` received `lead` (its LeadAssignment row) and count it towards the rep's daily cap."""
    row_insert(LeadAssignment(
        lead=lead, rep=rep, at=now, by=by, kind=kind, rule_id=rule_id, rule_name=rule_name[:100], rule_version=rule_version,
        reason=reason[:500], details=details or {},
    ))
    _intake_add({rep.pk: 1}, now=now)


def _intake_add(per_rep: dict[int, int], *, now: datetime) -> None:
    """Add to the reps' counts of the day (RepDailyIntake): one upsert per rep."""
    if not per_rep:
        return
    table = RepDailyIntake._meta.db_table
    day = now.astimezone(org_tz()).date()
    sql = (
        f"INSERT INTO {table} (rep_id, day, assigned) VALUES (%s, %s, %s)"  # noqa: S608 — the model's table
        f" ON CONFLICT (rep_id, day) DO UPDATE SET assigned = {table}.assigned + excluded.assigned"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(rep_id, day, n) for rep_id, n in sorted(per_rep.items())])


def _clock_spec(lead: Lead, *, now: datetime) -> TimerSpec:
    if lead.first_contact_at is None and lead.first_contact_due_at is not None:
        return TimerSpec(subject_id=lead.pk, due_at=lead.first_contact_due_at, step=STEP_FIRST_CONTACT)
    return TimerSpec(subject_id=lead.pk, due_at=pool_return_due(touched_at=now, team_id=None), step=STEP_POOL_RETURN)


def _clock_start(leads: Sequence[Lead], *, now: datetime) -> None:
    timers_arm(kind=SLA_TIMER, subject_kind=SUBJECT, specs=[_clock_spec(lead, now=now) for lead in leads], now=now)


def lead_clock_stop(*, lead_ids: Sequence[int]) -> None:
    timers_stop(kind=SLA_TIMER, subject_kind=SUBJECT, subject_ids=lead_ids)
