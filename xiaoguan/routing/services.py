"""Writes of routing: rules (versioned, with history), capacity, routing one lead or many, re-routing a leaver's
leads, hand dispatch from the fallback queue.

Concurrency: `lead_route` locks the matched rule's cursor row (`select_for_update`; on SQLite every transaction is
IMMEDIATE, so writers queue anyway) before it reads the reps' counts, and writes the assignment and the new cursor in
the same transaction. The capture's path (`route_plan` + `route_plan_write`) takes its turn with one atomic increment
instead and guards the daily cap when its batch writes. Either way two requests through one rule never take the same
turn and a cap is not overshot.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Max, Q, QuerySet
from django.utils.translation import gettext as _

from xiaoguan.core.bulk import WriteBatch, chunked
from xiaoguan.core.errors import InvalidStateError, NotAllowedError, ValidationFailedError
from xiaoguan.core.history import history_changes, history_record
from xiaoguan.core.models import HistoryEntry
from xiaoguan.customers.models import Account
from xiaoguan.leads import services as lead_services
from xiaoguan.leads.models import Lead, LeadAssignment
from xiaoguan.org.models import Role, Team, User
from xiaoguan.org.selectors import manager_chain
from xiaoguan.org.visibility import SEE_ALL_ROLES
from xiaoguan.routing.dryrun import DryRunReport, rule_dry_run
from xiaoguan.routing.engine import (
    CHAIN_COMPLETE,
    CHAIN_INCOMPLETE,
    Conditions,
    Decision,
    RoutingState,
    RuleSpec,
    decide,
    decide_all,
    rule_matches,
)
from xiaoguan.routing.models import RepCapacity, RouteMiss, RoutingCursor, RoutingRule
from xiaoguan.routing.places import PlaceCache
from xiaoguan.routing.selectors import (
    LEAD_FACT_FIELDS,
    dispatch_candidates,
    fallback_queue_visible_to,
    lead_facts,
    lead_facts_of,
    region_names,
    rep_cached,
    rep_open_leads_note,
    rep_states,
    routable_leads,
    rule_list_enabled,
    rule_specs,
    rule_specs_cached,
)

__all__ = ["DryRunReport", "rule_dry_run"]  # the dry-run is a read; services re-exports it beside the writes

REASON_MAX = 500
RULE_FIELDS = ("name", "enabled", "conditions", "target_team", "target_rep_ids", "strategy")
OPEN_UNCONTACTED = (Lead.Status.NEW, Lead.Status.ASSIGNED)


def can_edit_routing(user: User) -> bool:
    """Rules, capacity and deactivation are the director's and the admin's."""
    return user.is_active and (user.role in SEE_ALL_ROLES or user.is_superuser)


def _require_editor(by: User) -> None:
    if not can_edit_routing(by):
        raise NotAllowedError()


# ------------------------------------------------------------------------------------------------------------ rules


def rule_clean(*, values: dict[str, Any]) -> dict[str, Any]:
    """Check a rule's fields and put them in their stored shape (conditions normalised, one kind of target)."""
    errors: dict[str, list[str]] = {}
    out = dict(values)
    if "name" in values:
        out["name"] = str(values["name"] or "").strip()[:100]
        if not out["name"]:
            errors["name"] = [_("请填写规则名称")]
    if "strategy" in values and values["strategy"] not in RoutingRule.Strategy.values:
        errors["strategy"] = [_("分配方式无效")]
    if "conditions" in values:
        raw = dict(values["conditions"] or {})
        for key in ("budget_min", "budget_max"):
            value = raw.get(key)
            if value in (None, ""):
                continue
            try:
                amount = Decimal(str(value))
            except InvalidOperation:
                errors[key] = [_("请输入数字，例如 100000")]
                continue
            if amount < 0:
                errors[key] = [_("预算不能为负数")]
        if raw.get("decision_chain") not in (None, "", CHAIN_COMPLETE, CHAIN_INCOMPLETE):
            errors["decision_chain"] = [_("决策链条件无效")]
        conditions = Conditions.from_json(raw)
        if conditions.budget_min is not None and conditions.budget_max is not None and conditions.budget_min > conditions.budget_max:
            errors["budget_max"] = [_("预算上限不能小于下限")]
        unknown_regions = conditions.regions - set(Team.objects.filter(pk__in=conditions.regions, kind=Team.Kind.REGION).values_list("pk", flat=True))
        if unknown_regions:
            errors["regions"] = [_("只能选择大区")]
        if conditions.company_sizes - set(Account.Size.values):
            errors["company_sizes"] = [_("公司规模无效")]
        if conditions.sources - set(Lead.Source.values):
            errors["sources"] = [_("来源无效")]
        out["conditions"] = conditions.to_json()
    if "target_rep_ids" in values:
        ids = sorted({int(pk) for pk in values["target_rep_ids"] or []})
        if ids and User.objects.filter(pk__in=ids, is_active=True).count() != len(ids):
            errors["target_rep_ids"] = [_("只能选择在职的销售")]
        out["target_rep_ids"] = ids
    if "target_team" in values or "target_rep_ids" in values:
        has_team = out.get("target_team") is not None
        has_reps = bool(out.get("target_rep_ids"))
        if has_team == has_reps:
            errors["target_team"] = [_("请选择一个团队，或指定若干销售（二选一）")]
    if errors:
        raise ValidationFailedError(field_errors=errors)
    return out


def _snapshot(rule: RoutingRule) -> dict[str, Any]:
    return {
        "name": rule.name, "enabled": rule.enabled, "conditions": rule.conditions, "strategy": rule.strategy,
        "target_team": str(rule.target_team) if rule.target_team_id else None, "target_rep_ids": rule.target_rep_ids,
        "position": rule.position,
    }


@transaction.atomic
def rule_create(*, by: User, now: datetime, values: dict[str, Any], position: int | None = None) -> RoutingRule:
    """A new rule, last in the order unless a position is given (the rules at and after it move down one)."""
    _require_editor(by)
    data = rule_clean(values={"enabled": True, "conditions": {}, "target_team": None, "target_rep_ids": [],
                                 "strategy": RoutingRule.Strategy.ROUND_ROBIN, **values})
    last = RoutingRule.objects.aggregate(m=Max("position"))["m"] or 0
    if position is None or position > last:
        position = last + 1
    else:
        position = max(position, 1)
        RoutingRule.objects.filter(position__gte=position).update(position=F("position") + 1)
    rule = RoutingRule.objects.create(**data, position=position, version=1, created_at=now, updated_at=now, created_by=by)
    RoutingCursor.objects.create(rule=rule)
    history_record(subject=rule, actor=by, action=HistoryEntry.Action.CREATED, at=now,
                   changes={k: [None, v] for k, v in _snapshot(rule).items()}, note=_("版本 %(v)s") % {"v": 1})
    return rule


@transaction.atomic
def rule_update(*, rule: RoutingRule, by: User, now: datetime, values: dict[str, Any]) -> RoutingRule:
    """Change a rule's fields; a real change bumps the version and is kept in the history."""
    _require_editor(by)
    unknown = set(values) - set(RULE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    data = rule_clean(values={"target_team": rule.target_team, "target_rep_ids": rule.target_rep_ids, **values})
    data = {k: v for k, v in data.items() if k in values or k in ("target_team", "target_rep_ids")}
    locked = RoutingRule.objects.select_for_update().get(pk=rule.pk)
    rule.version = locked.version
    changes = history_changes(instance=rule, values=data)
    if not changes:
        return rule
    rule.version += 1
    rule.updated_at = now
    rule.save()
    history_record(subject=rule, actor=by, action=HistoryEntry.Action.UPDATED, at=now, changes=changes,
                   note=_("版本 %(v)s") % {"v": rule.version})
    return rule


@transaction.atomic
def rule_set_enabled(*, rule: RoutingRule, by: User, now: datetime, enabled: bool) -> RoutingRule:
    return rule_update(rule=rule, by=by, now=now, values={"enabled": enabled})


@transaction.atomic
def rule_move(*, rule: RoutingRule, by: User, now: datetime, up: bool) -> RoutingRule:
    """Swap the rule with its neighbour above (or below). Both rules change version: their order changes what they get."""
    _require_editor(by)
    rules = list(RoutingRule.objects.select_for_update().order_by("position", "pk"))
    index = next(i for i, r in enumerate(rules) if r.pk == rule.pk)
    other = index - 1 if up else index + 1
    if not 0 <= other < len(rules):
        return rule
    rules[index], rules[other] = rules[other], rules[index]
    for position, item in enumerate(rules, start=1):
        if item.position == position:
            continue
        old = item.position
        item.position = position
        if item.pk in (rule.pk, rules[index].pk):
            item.version += 1
            item.updated_at = now
            item.save(update_fields=["position", "version", "updated_at"])
            history_record(subject=item, actor=by, action=HistoryEntry.Action.UPDATED, at=now, changes={"position": [old, position]},
                           note=_("版本 %(v)s") % {"v": item.version})
        else:
            item.save(update_fields=["position"])  # renumbering only: 1..n with no gaps
    rule.refresh_from_db()
    return rule


# --------------------------------------------------------------------------------------------------------- capacity


@transaction.atomic
def rep_capacity_update(
    *, rep: User, by: User, now: datetime, daily_cap: int | None, away: bool, absent_from: Any = None, absent_until: Any = None, note: str = ""
) -> RepCapacity:
    """A rep's own daily cap (None: the default) and absence (away, or a date range, both days included)."""
    _require_editor(by)
    if daily_cap is not None and daily_cap < 0:
        raise ValidationFailedError(field_errors={"daily_cap": [_("上限不能为负数")]})
    if absent_from and absent_until and absent_until < absent_from:
        raise ValidationFailedError(field_errors={"absent_until": [_("结束日期不能早于开始日期")]})
    capacity, _created = RepCapacity.objects.select_for_update().get_or_create(user=rep)
    changes = history_changes(instance=capacity, values={
        "daily_cap": daily_cap, "away": away, "absent_from": absent_from, "absent_until": absent_until, "note": note.strip()[:200],
    })
    if changes:
        capacity.updated_at = now
        capacity.save()
        history_record(subject=capacity, actor=by, action=HistoryEntry.Action.UPDATED, at=now, changes=changes, note=str(rep))
    return capacity


# ---------------------------------------------------------------------------------------------------------- routing


@dataclass(frozen=True)
class RouteDecision:
    rep: User | None
    rule_id: int | None
    rule_name: str
    rule_version: int | None
    reason: str
    details: dict[str, Any]


def _first_match(specs: Sequence[RuleSpec], facts: Any) -> RuleSpec | None:
    return next((spec for spec in specs if rule_matches(conditions=spec.conditions, lead=facts)), None)


_CURSOR_SQL = f"SELECT last_rep_id, turns FROM {RoutingCursor._meta.db_table} WHERE rule_id = %s"  # noqa: S608 — the model's table


def _cursor_read(rule_id: int) -> RoutingCursor | None:
    """The rule's cursor as it stands, without a lock (a routing plan checks it again when it writes)."""
    with connection.cursor() as cursor:
        cursor.execute(_CURSOR_SQL, [rule_id])
        row = cursor.fetchone()
    return RoutingCursor(rule_id=rule_id, last_rep_id=row[0], turns=row[1]) if row is not None else None


def _cursor_locked(rule_id: int) -> RoutingCursor:
    """The rule's cursor row, locked until the transaction ends (created on first use). Plain SQL: it runs for every
    routed lead inside the write transaction."""
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(_CURSOR_SQL + lock, [rule_id])
        row = cursor.fetchone()
    if row is not None:
        return RoutingCursor(rule_id=rule_id, last_rep_id=row[0], turns=row[1])
    try:
        with transaction.atomic():
            RoutingCursor.objects.create(rule_id=rule_id)
    except IntegrityError:
        pass  # another request created it first
    return RoutingCursor.objects.select_for_update().get(rule_id=rule_id)


def _cursor_advance(cursor: RoutingCursor, *, rep_id: int) -> None:
    cursor.last_rep_id = rep_id
    cursor.turns += 1
    table = RoutingCursor._meta.db_table
    with connection.cursor() as db:
        db.execute(f"UPDATE {table} SET last_rep_id = %s, turns = turns + 1 WHERE rule_id = %s", [rep_id, cursor.rule_id])  # noqa: S608


def _turn_last(spec: RuleSpec, turns: int) -> int | None:
    """Round-robin follows the rule's count of turns: turn t (0-based) starts at member t mod n of the group, and a
    rep who is skipped (away, full) hands it to the next. Expressed as the engine's "last rep served": the member
    before that start."""
    n = len(spec.member_ids)
    return spec.member_ids[(turns - 1) % n] if n and turns > 0 else None


def _turn_take(rule_id: int) -> int:
    """Take the rule's next round-robin turn (its 0-based number) in a short write of its own, so that concurrent
    captures through one rule each get their own turn without waiting for one another's whole transaction."""
    table = RoutingCursor._meta.db_table
    sql = f"UPDATE {table} SET turns = turns + 1 WHERE rule_id = %s RETURNING turns"  # noqa: S608 — the model's table
    for _attempt in range(2):
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql" and not connection.in_atomic_block:
                # One round trip, its own implicit transaction, a COMMIT that does not wait for the WAL's fsync.
                cursor.execute("SET LOCAL synchronous_commit TO OFF; " + sql, [rule_id])
                cursor.cursor.nextset()
                row = cursor.fetchone()
            else:
                with transaction.atomic():
                    cursor.execute(sql, [rule_id])
                    row = cursor.fetchone()
        if row is not None:
            return int(row[0]) - 1
        RoutingCursor.objects.get_or_create(rule_id=rule_id)  # the rule's first lead
    raise InvalidStateError(f"routing cursor of rule {rule_id} missing")


def _decide_one(*, lead: Lead, now: datetime, lock: bool) -> tuple[Decision, RoutingCursor | None, RoutingState]:
    # The rules, groups, region names, reps' names and capacities come from the per-process routing cache (read
    # before the caller's write transaction when it is the first of the process); today's counts and the cursor are
    # read here, the cursor locked first (`lock`), so two requests through one rule take turns on fresh numbers.
    specs = rule_specs_cached()
    facts = lead_facts_of(lead=lead, cached=True)
    spec = _first_match(specs, facts)
    cursor = None
    state = RoutingState()
    if spec is not None and spec.id is not None:
        cursor = _cursor_locked(spec.id) if lock else _cursor_read(spec.id)
        reps = rep_states(rep_ids=spec.member_ids, now=now, loads=spec.strategy == RoutingRule.Strategy.LEAST_LOADED, cached=True)
        state = RoutingState(reps=reps, last_rep={spec.id: _turn_last(spec, cursor.turns) if cursor else None})
    return decide(lead=facts, rules=[spec] if spec else [], state=state), cursor, state


def _route_decision(decision: Decision) -> RouteDecision:
    rule = decision.rule
    return RouteDecision(
        rep=User.objects.get(pk=decision.rep_id) if decision.rep_id is not None else None,
        rule_id=rule.id if rule else None, rule_name=rule.name if rule else "", rule_version=rule.version if rule else None,
        reason=decision.reason[:REASON_MAX], details=decision.details,
    )


def route_decide(*, lead: Lead, now: datetime) -> RouteDecision:
    """Who routing would give this lead to now, and why. Reads only; `lead_route` acts on it."""
    decision, _cursor, _state = _decide_one(lead=lead, now=now, lock=False)
    return _route_decision(decision)


def _miss_record(*, lead_ids: Sequence[int], decisions: Sequence[Decision], now: datetime) -> None:
    """Why these leads wait: one RouteMiss row each (the queue page), and the lead's own routing reason (its page)."""
    for ids in chunked(lead_ids, 5000):
        RouteMiss.objects.filter(lead_id__in=ids).delete()
    by_reason: dict[str, list[int]] = {}
    for lead_id, decision in zip(lead_ids, decisions, strict=True):
        by_reason.setdefault(decision.reason[:REASON_MAX], []).append(lead_id)
    for reason, same in by_reason.items():
        for ids in chunked(same, 5000):
            Lead.objects.filter(pk__in=ids, owner__isnull=True).update(routing_reason=reason)
    RouteMiss.objects.bulk_create([
        RouteMiss(lead_id=lead_id, at=now, rule_id=d.rule.id if d.rule else None, rule_name=d.rule.name if d.rule else "",
                  reason=d.reason[:REASON_MAX], details=d.details)
        for lead_id, d in zip(lead_ids, decisions, strict=True)
    ], batch_size=1000)


def lead_route(
    *, lead: Lead, now: datetime, by: User | None = None, kind: str = LeadAssignment.Kind.ROUTED, new: bool = False
) -> Lead:
    """Route the lead through the rules and assign it; no rep → it waits in the fallback queue with its reason.

    `new`: the lead was created in this transaction, so it has no place in the fallback queue to clear."""
    rule_specs_cached()  # warm the caches before the write transaction, not inside it
    # No savepoint of its own: nothing here is undone alone (a failure rolls back the caller's whole transaction).
    with transaction.atomic(savepoint=False):
        decision, cursor, _state = _decide_one(lead=lead, now=now, lock=True)
        rule = decision.rule
        if decision.rep_id is None:
            _miss_record(lead_ids=[lead.pk], decisions=[decision], now=now)
            return lead
        rep = rep_cached(decision.rep_id) or User.objects.select_related("team").get(pk=decision.rep_id)
        lead = lead_services.lead_assign(
            lead=lead, rep=rep, now=now, by=by, kind=kind,
            rule_id=rule.id if rule else None, rule_name=rule.name if rule else "", rule_version=rule.version if rule else None,
            reason=decision.reason[:REASON_MAX], details=decision.details,
        )
        if cursor is not None:
            _cursor_advance(cursor, rep_id=decision.rep_id)
        if not new:
            RouteMiss.objects.filter(lead_id=lead.pk).delete()
    return lead


@dataclass(frozen=True)
class RoutePlan:
    """A routing decision made without holding a lock, for a WriteBatch to write (see `route_plan`)."""

    decision: Decision
    rep: User
    cap: int


def route_plan(*, lead: Lead, now: datetime) -> RoutePlan | None:
    """The rep routing gives `lead` to, decided without a lock; None when the lead would wait in the fallback queue
    (`lead_route` records why).

    A round-robin rule's turn is taken first, in a write of its own (`_turn_take`): each concurrent capture gets its
    own turn and none waits for another's transaction (checking the turn at write time instead made 37 % of the
    captures plan again at 120/s on PostgreSQL). A turn whose lead then fails to be written is simply lost. The
    daily cap is guarded when the batch writes (`lead_assign_plan`).
    """
    specs = rule_specs_cached()
    facts = lead_facts_of(lead=lead, cached=True)
    spec = _first_match(specs, facts)
    if spec is None or spec.id is None or not spec.member_ids:
        return None
    least_loaded = spec.strategy == RoutingRule.Strategy.LEAST_LOADED
    reps = rep_states(rep_ids=spec.member_ids, now=now, loads=least_loaded, cached=True, loads_cached=True)
    last = None if least_loaded else _turn_last(spec, _turn_take(spec.id))
    decision = decide(lead=facts, rules=[spec], state=RoutingState(reps=reps, last_rep={spec.id: last}))
    rep = rep_cached(decision.rep_id) if decision.rep_id is not None else None
    if rep is None or decision.rep_id is None:
        return None
    if least_loaded:
        rep_open_leads_note(rep_ids=spec.member_ids, rep_id=rep.pk)
    return RoutePlan(decision=decision, rep=rep, cap=reps[decision.rep_id].cap)


def route_plan_write(batch: WriteBatch, *, plan: RoutePlan, lead: Lead, now: datetime, kind: str = LeadAssignment.Kind.ROUTED, new: bool = False) -> None:
    """Plan writing `plan` into the batch (`lead_assign_plan`, with the rep's daily cap guarded: another request that
    took the rep's last place first makes the batch stale and the caller plans again)."""
    decision, rule = plan.decision, plan.decision.rule
    assert rule is not None  # noqa: S101 - route_plan returns only routed decisions
    lead_services.lead_assign_plan(
        batch, lead=lead, rep=plan.rep, now=now, kind=kind, rule_id=rule.id, rule_name=rule.name, rule_version=rule.version,
        reason=decision.reason[:REASON_MAX], details=decision.details, cap=plan.cap, new=new,
    )


@dataclass
class RouteSummary:
    routed: int = 0
    unrouted: int = 0
    no_rule: int = 0
    group_full: int = 0
    by_rep: Counter[str] = field(default_factory=Counter)
    by_rule: Counter[str] = field(default_factory=Counter)


def _route_rows(
    *, rows: list[dict[str, Any]], now: datetime, by: User | None = None, kind: str = LeadAssignment.Kind.ROUTED
) -> tuple[RouteSummary, list[int]]:
    """Decide for every row in memory (caps and turns counted as we go), assign the routed ones in one set-based call,
    record why the others wait. Returns the summary and the ids of the leads left unassigned."""
    rules = list(rule_list_enabled())
    specs = rule_specs(rules=rules)
    cursors = {c.rule_id: c for c in RoutingCursor.objects.select_for_update().filter(rule_id__in=[r.pk for r in rules]).order_by("rule_id")}
    for saved in rules:
        if saved.pk not in cursors:
            cursors[saved.pk] = _cursor_locked(saved.pk)
    members = {pk for spec in specs for pk in spec.member_ids}
    spec_by_id = {spec.id: spec for spec in specs}
    state = RoutingState(
        reps=rep_states(rep_ids=members, now=now),
        last_rep={pk: _turn_last(spec_by_id[pk], c.turns) if pk in spec_by_id else c.last_rep_id for pk, c in cursors.items()},
    )
    places, regions = PlaceCache(), region_names()
    facts = [lead_facts(row=row, places=places, regions=regions) for row in rows]
    decisions = decide_all(leads=facts, rules=specs, state=state)
    summary = RouteSummary()
    planned = []
    missed_ids: list[int] = []
    missed: list[Decision] = []
    names = {pk: rep.name for pk, rep in state.reps.items()}
    for row, decision in zip(rows, decisions, strict=True):
        rule = decision.rule
        if rule is None or decision.rep_id is None:
            summary.unrouted += 1
            if rule is None:
                summary.no_rule += 1
            else:
                summary.group_full += 1
            missed_ids.append(row["pk"])
            missed.append(decision)
            continue
        summary.routed += 1
        summary.by_rep[names[decision.rep_id]] += 1
        summary.by_rule[rule.name] += 1
        planned.append(lead_services.PlannedAssignment(
            lead_id=row["pk"], rep_id=decision.rep_id, rule_id=rule.id, rule_name=rule.name, rule_version=rule.version,
            reason=decision.reason[:REASON_MAX], details=decision.details,
        ))
    if planned:
        lead_services.lead_assign_bulk(assignments=planned, now=now, by=by, kind=kind)
    changed = []
    routed_by_rule = Counter(d.rule.id for d in decisions if d.rule is not None and d.rep_id is not None)
    for rule_id, cursor in cursors.items():
        if routed_by_rule[rule_id]:
            cursor.turns += routed_by_rule[rule_id]
            cursor.last_rep_id = state.last_rep.get(rule_id)
            changed.append(cursor)
    RoutingCursor.objects.bulk_update(changed, ["last_rep_id", "turns"])
    if planned and RouteMiss.objects.exists():
        for ids in chunked([p.lead_id for p in planned], 5000):
            RouteMiss.objects.filter(lead_id__in=ids).delete()
    if missed_ids:
        _miss_record(lead_ids=missed_ids, decisions=missed, now=now)
    return summary, missed_ids


@transaction.atomic
def leads_route_bulk(*, leads: QuerySet[Lead], now: datetime) -> RouteSummary:
    """Route many unassigned leads at once, oldest first: one read of the rules and the reps, decisions in memory with
    caps and turns counted as they are taken, one set-based assignment. Leads that have an owner, are closed or sit
    in the pool are left alone."""
    rows = list(leads.filter(pk__in=routable_leads().values("pk")).order_by("created_at", "pk").values(*LEAD_FACT_FIELDS))
    summary, _missed = _route_rows(rows=rows, now=now)
    return summary


# ------------------------------------------------------------------------------------------------ leavers, by hand


@dataclass
class RerouteSummary:
    rerouted: int = 0
    to_queue: int = 0
    to_manager: int = 0
    to_pool: int = 0
    manager: str = ""
    routing: RouteSummary = field(default_factory=RouteSummary)


def _unassign(*, lead_ids: Sequence[int], from_user: User, by: User | None, now: datetime, note: str) -> None:
    """Back to the unassigned state routing starts from: no owner, status new, the leaver's SLA clock stopped."""
    content_type = ContentType.objects.get_for_model(Lead)
    for ids in chunked(lead_ids, 5000):
        Lead.objects.filter(pk__in=ids).update(owner=None, status=Lead.Status.NEW, assigned_at=None, first_contact_due_at=None, updated_at=now)
    lead_services.lead_clock_stop(lead_ids=lead_ids)
    HistoryEntry.objects.bulk_create([
        HistoryEntry(content_type=content_type, object_id=lead_id, actor=by, at=now, action=HistoryEntry.Action.HANDOVER,
                     changes={"owner": [str(from_user), None]}, note=note[:500])
        for lead_id in lead_ids
    ], batch_size=1000)


@transaction.atomic
def rep_leads_reroute(*, rep: User, now: datetime, by: User | None) -> RerouteSummary:
    """The open leads of a rep who no longer takes leads (deactivated), given on:

    - not yet contacted (new/assigned, no first contact): unassigned and routed again as if they had just arrived (the
      rep, inactive now, is skipped); those no rule can place wait in the fallback queue with their reason;
    - already contacted (a relationship exists): to the rep's nearest active manager, who knows the account and can
      pass it on by hand; with no active manager, to the lead pool (公海) of the region.
    """
    open_leads = Lead.objects.filter(owner=rep).exclude(status__in=Lead.CLOSED_STATUSES)
    uncontacted = Q(status__in=OPEN_UNCONTACTED, first_contact_at__isnull=True)
    summary = RerouteSummary()
    ids = list(open_leads.filter(uncontacted).order_by("created_at", "pk").values_list("pk", flat=True))
    if ids:
        _unassign(lead_ids=ids, from_user=rep, by=by, now=now, note=_("原负责人 %(name)s 已停用，重新分配") % {"name": rep.name})
        rows = list(Lead.objects.filter(pk__in=ids).order_by("created_at", "pk").values(*LEAD_FACT_FIELDS))
        routed, missed_ids = _route_rows(rows=rows, now=now, by=by, kind=LeadAssignment.Kind.REROUTED)
        summary.routing, summary.rerouted, summary.to_queue = routed, routed.routed, len(missed_ids)
    manager = next((m for m in manager_chain(user=rep) if m.is_active), None)
    for lead in open_leads.exclude(uncontacted).order_by("pk"):
        if manager is not None:
            lead_services.lead_assign(
                lead=lead, rep=manager, now=now, by=by, kind=LeadAssignment.Kind.REROUTED,
                reason=_("原负责人 %(rep)s 已停用；线索已联系过，交给其上级 %(manager)s") % {"rep": rep.name, "manager": manager.name},
                details={"from_rep_id": rep.pk, "contacted": True},
            )
            summary.to_manager += 1
        else:
            lead_services.lead_release_to_pool(lead=lead, now=now, by=by, reason=_("原负责人 %(rep)s 已停用") % {"rep": rep.name})
            summary.to_pool += 1
    summary.manager = manager.name if manager else ""
    return summary


@transaction.atomic
def user_deactivate_with_reroute(*, user: User, by: User, now: datetime) -> RerouteSummary:
    """Deactivate someone (they can no longer log in or receive leads; their reports move up to their manager) and
    give their open leads on (`rep_leads_reroute`). Accounts and deals stay: the handover page moves those."""
    _require_editor(by)
    if user.pk == by.pk:
        raise InvalidStateError(_("不能停用自己"))
    if not user.is_active:
        raise InvalidStateError(_("该用户已停用"))
    user.is_active = False
    user.save(update_fields=["is_active"])
    history_record(subject=user, actor=by, action=HistoryEntry.Action.UPDATED, at=now, changes={"is_active": [True, False]})
    User.objects.filter(manager=user).update(manager=user.manager)
    return rep_leads_reroute(rep=user, now=now, by=by)


@transaction.atomic
def lead_dispatch(*, lead: Lead, rep: User, by: User, now: datetime) -> Lead:
    """A manager hands a lead from the fallback queue to a rep by hand (recorded as a manual assignment)."""
    if not fallback_queue_visible_to(user=by).filter(pk=lead.pk).exists():
        raise NotAllowedError(_("这条线索不在你可分配的待分配队列中"))
    if not dispatch_candidates(user=by).filter(pk=rep.pk).exists():
        raise NotAllowedError(_("只能分配给你团队中在职的销售"))
    if rep.role != Role.REP or not rep.is_active:
        raise InvalidStateError(_("只能分配给在职的销售"))
    lead = lead_services.lead_assign(
        lead=lead, rep=rep, now=now, by=by, kind=LeadAssignment.Kind.MANUAL,
        reason=_("%(by)s 从待分配队列手工分配给 %(rep)s") % {"by": by.name, "rep": rep.name},
    )
    RouteMiss.objects.filter(lead_id=lead.pk).delete()
    return lead

