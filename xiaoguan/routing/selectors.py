"""Reads of routing: the rules as the engine sees them, the reps' state today, a lead's facts, the fallback queue."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from django.db import connection
from django.db.models import Q, QuerySet

from xiaoguan.core.clock import org_tz
from xiaoguan.core.normalize import phone_key
from xiaoguan.core.process_cache import ProcessCache
from xiaoguan.leads import selectors as lead_selectors
from xiaoguan.leads.models import Lead
from xiaoguan.org.models import Role, Team, User
from xiaoguan.org.visibility import SEE_ALL_ROLES
from xiaoguan.routing.engine import Conditions, LeadFacts, RepState, RuleSpec, chain_complete
from xiaoguan.routing.models import RepCapacity, RoutingRule, default_daily_cap
from xiaoguan.routing.places import PlaceCache

T = TypeVar("T")

# The lead fields routing reads; bulk routing and the dry-run fetch just these.
LEAD_FACT_FIELDS = ("pk", "source", "industry", "company_size", "budget", "city", "region_id", "name", "phone", "phone_key", "company")


def rule_list() -> QuerySet[RoutingRule]:
    """Every rule in evaluation order."""
    return RoutingRule.objects.select_related("target_team").order_by("position", "pk")


def rule_list_enabled() -> QuerySet[RoutingRule]:
    return rule_list().filter(enabled=True)


def rule_specs(*, rules: Sequence[RoutingRule]) -> list[RuleSpec]:
    """The rules with their groups resolved: a team's active reps in its whole subtree, or the named reps (an
    inactive named rep stays in the group so the reason can say they were skipped)."""
    team_ids = {r.target_team_id for r in rules if r.target_team_id}
    teams = {t.pk: t for t in Team.objects.filter(pk__in=team_ids)}
    active_reps = list(User.objects.filter(is_active=True, role=Role.REP).values_list("pk", "team__path"))
    specs = []
    for rule in rules:
        team = teams.get(rule.target_team_id or 0)
        if team is not None:
            members = sorted(pk for pk, path in active_reps if path and path.startswith(team.path))
            label = team.name
        else:
            members = sorted({int(pk) for pk in rule.target_rep_ids or []})
            label = ""
        specs.append(RuleSpec(
            id=rule.pk, name=rule.name, version=rule.version, conditions=Conditions.from_json(rule.conditions),
            strategy=rule.strategy, member_ids=tuple(members), target_label=label, target_team_id=rule.target_team_id,
        ))
    named = {pk for spec in specs if not spec.target_label for pk in spec.member_ids}
    if named:
        names = dict(User.objects.filter(pk__in=named).values_list("pk", "name"))
        specs = [
            spec if spec.target_label else RuleSpec(
                id=spec.id, name=spec.name, version=spec.version, conditions=spec.conditions, strategy=spec.strategy,
                member_ids=spec.member_ids, target_label="、".join(names.get(pk, str(pk)) for pk in spec.member_ids),
            )
            for spec in specs
        ]
    return specs


def rep_is_absent(capacity: RepCapacity | None, *, on: Any) -> bool:
    """Away, or inside an absence (both days included; an open end is open)."""
    if capacity is None:
        return False
    if capacity.away:
        return True
    if capacity.absent_from is None and capacity.absent_until is None:
        return False
    return (capacity.absent_from is None or capacity.absent_from <= on) and (capacity.absent_until is None or on <= capacity.absent_until)


def rep_assigned_today(*, rep_ids: Iterable[int], now: datetime) -> dict[int, int]:
    """New leads each rep received since 00:00 today (organisation time): what the daily cap counts."""
    ids = list(rep_ids)
    if not ids:
        return {}
    return lead_selectors.rep_intake_on(rep_ids=ids, day=now.astimezone(org_tz()).date())


def rep_open_leads(*, rep_ids: Iterable[int]) -> dict[int, int]:
    """Open (not closed) leads each rep owns: the load that least-loaded routing evens out."""
    ids = [int(pk) for pk in rep_ids]
    if not ids:
        return {}
    # Plain SQL over the (owner, status, -created_at) index: least-loaded routing runs it inside the write transaction.
    marks = ", ".join(["%s"] * len(ids))
    closed = ", ".join(["%s"] * len(Lead.CLOSED_STATUSES))
    sql = f"SELECT owner_id, COUNT(*) FROM {Lead._meta.db_table} WHERE owner_id IN ({marks}) AND status NOT IN ({closed}) GROUP BY owner_id"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [*ids, *Lead.CLOSED_STATUSES])
        return dict(cursor.fetchall())


def rep_states(
    *, rep_ids: Iterable[int], now: datetime, loads: bool = True, cached: bool = False, loads_cached: bool = False
) -> dict[int, RepState]:
    """Each rep's availability and counts right now.

    `loads=False` leaves the open-lead counts at 0 (only least-loaded rules read them); `cached=True` takes names,
    active flags and capacities from the per-process routing cache (one lead's routing); `loads_cached=True` the
    open-lead counts from the per-process copy (`rep_open_leads_cached`); today's counts are always read fresh, since
    the daily cap depends on them.
    """
    ids = sorted(set(rep_ids))
    today = now.astimezone(org_tz()).date()
    if cached:
        everyone, all_capacities = _people_cached()
        people = [(pk, *everyone[pk]) for pk in ids if pk in everyone]
        capacities = {pk: all_capacities[pk] for pk in ids if pk in all_capacities}
    else:
        people = list(User.objects.filter(pk__in=ids).values_list("pk", "name", "is_active"))
        capacities = {c.user_id: c for c in RepCapacity.objects.filter(user_id__in=ids)}
    assigned = rep_assigned_today(rep_ids=ids, now=now)
    open_counts = (rep_open_leads_cached(rep_ids=ids) if loads_cached else rep_open_leads(rep_ids=ids)) if loads else {}
    default_cap = default_daily_cap()
    states = {}
    for pk, name, active in people:
        capacity = capacities.get(pk)
        cap = capacity.daily_cap if capacity is not None and capacity.daily_cap is not None else default_cap
        states[pk] = RepState(
            id=pk, name=name, active=active, absent=rep_is_absent(capacity, on=today), cap=cap,
            today=assigned.get(pk, 0), open=open_counts.get(pk, 0),
        )
    return states


def region_names() -> dict[int, str]:
    return dict(Team.objects.filter(kind=Team.Kind.REGION).values_list("pk", "name"))


def lead_facts(*, row: dict[str, Any], places: PlaceCache, regions: dict[int, str]) -> LeadFacts:
    """A lead's routing facts from its row (`LEAD_FACT_FIELDS`): the region it carries, else its city's."""
    city = row["city"] or ""
    place = places.get(city)
    region_id = row["region_id"]
    via_city = False
    if region_id is None and place.region_id is not None:
        region_id, via_city = place.region_id, True
    budget = row["budget"]
    if budget is not None and not isinstance(budget, Decimal):
        budget = Decimal(str(budget))
    return LeadFacts(
        id=row["pk"], source=row["source"], industry=(row["industry"] or "").strip(), company_size=row["company_size"] or "",
        budget=budget, city=city.strip(), province=place.province, region_id=region_id,
        region_name=regions.get(region_id, "") if region_id is not None else "", region_via_city=via_city,
        chain_complete=chain_complete(name=row["name"] or "", phone_key=row["phone_key"] or phone_key(row["phone"] or ""), company=row["company"] or "", budget=budget),
    )


def lead_facts_of(*, lead: Lead, cached: bool = False) -> LeadFacts:
    lead.dedupe_keys_fill()
    row = {name: getattr(lead, name) for name in LEAD_FACT_FIELDS}
    return lead_facts(row=row, places=PlaceCache(), regions=region_names_cached() if cached else region_names())


def routable_leads() -> QuerySet[Lead]:
    """Leads routing may assign: open, nobody's, not in the pool (公海 leads are claimed, not routed)."""
    return Lead.objects.filter(owner__isnull=True, pool_since__isnull=True).exclude(status__in=Lead.CLOSED_STATUSES)


def fallback_queue_visible_to(*, user: User) -> QuerySet[Lead]:
    """The fallback queue (待分配) as this user may dispatch it: everything for a director or admin; for a manager the
    unassigned leads of their region and those whose region is not known; nothing for anyone else."""
    leads = routable_leads().select_related("region").order_by("-created_at", "-pk")
    if not user.is_active:
        return leads.none()
    if user.role in SEE_ALL_ROLES or user.is_superuser:
        return leads
    if user.role == Role.MANAGER and user.team is not None:
        region = user.team.region()
        return leads.filter(Q(region__isnull=True) | Q(region=region)) if region else leads.filter(region__isnull=True)
    return leads.none()


def dispatch_candidates(*, user: User) -> QuerySet[User]:
    """Who this user may hand a queued lead to: active reps (a manager: those in their team subtree)."""
    reps = User.objects.filter(is_active=True, role=Role.REP).select_related("team").order_by("team__path", "name")
    if user.role in SEE_ALL_ROLES or user.is_superuser:
        return reps
    if user.role == Role.MANAGER and user.team is not None and user.team.path:
        return reps.filter(team__path__startswith=user.team.path)
    return reps.none()


def capacity_rows(*, now: datetime) -> list[dict[str, Any]]:
    """Every active rep with today's count, cap and absence, for the capacity page."""
    reps = list(User.objects.filter(is_active=True, role=Role.REP).select_related("team").order_by("team__path", "name"))
    states = rep_states(rep_ids=[r.pk for r in reps], now=now)
    capacities = {c.user_id: c for c in RepCapacity.objects.filter(user_id__in=[r.pk for r in reps])}
    return [{"rep": r, "state": states[r.pk], "capacity": capacities.get(r.pk)} for r in reps]


# ------------------------------------------------------------------------------------------------ per-process cache
# Routing one captured lead reads the enabled rules with their groups, the region names, the reps' names and
# capacities: rows that change a few times a day, read 200 times a second. Each process keeps them for
# ROUTING_CACHE_SECONDS; a change saved in this process (rule, team, user, capacity) drops them at once, another
# process sees it within that time. Bulk routing, the dry-run and the pages read fresh.
ROUTING_CACHE_SECONDS = 5.0
_routing_cache = ProcessCache("routing", seconds=ROUTING_CACHE_SECONDS, models=(RoutingRule, Team, User, RepCapacity))
_cached = _routing_cache.get


def rule_specs_cached() -> list[RuleSpec]:
    """`rule_specs` of the enabled rules, from the per-process cache."""
    return _cached("specs", lambda: rule_specs(rules=list(rule_list_enabled())))


def region_names_cached() -> dict[int, str]:
    return _cached("regions", region_names)


def region_teams_cached() -> dict[int, Team]:
    """The region teams by id, from the per-process cache (shared instances: read them, never change them)."""
    return _cached("region_teams", lambda: {t.pk: t for t in Team.objects.filter(kind=Team.Kind.REGION)})


def rep_cached(pk: int) -> User | None:
    """An active rep with their team, from the per-process cache (a shared instance: read it, never change it)."""

    def load() -> dict[int, User]:
        return {u.pk: u for u in User.objects.filter(is_active=True).select_related("team")}

    return _cached("rep_objects", load).get(pk)


def _people_cached() -> tuple[dict[int, tuple[str, bool]], dict[int, RepCapacity]]:
    def load() -> tuple[dict[int, tuple[str, bool]], dict[int, RepCapacity]]:
        people = {pk: (name, active) for pk, name, active in User.objects.values_list("pk", "name", "is_active")}
        return people, {c.user_id: c for c in RepCapacity.objects.all()}

    return _cached("people", load)



# Least-loaded routing compares the group members' open leads: a COUNT over ~11,000 open leads per rep at 1M leads,
# tens of milliseconds, which the capture's path (routing/services.py: route_plan) would run for every lead through
# such a rule, in every web process at once (measured: 48 captures/s served at 200/s offered). That path takes the
# counts from a per-process copy for LOADS_CACHE_SECONDS, adding the leads this process gave since; a few seconds' or
# another process's difference only shifts which of two nearly equal reps is "least loaded". lead_route, bulk routing
# and the pages count afresh.
LOADS_CACHE_SECONDS = 5.0
_loads_cache = ProcessCache("routing.loads", seconds=LOADS_CACHE_SECONDS)


def rep_open_leads_cached(*, rep_ids: Iterable[int]) -> dict[int, int]:
    ids = sorted({int(pk) for pk in rep_ids})
    return _loads_cache.get(",".join(map(str, ids)), lambda: rep_open_leads(rep_ids=ids))


def rep_open_leads_note(*, rep_ids: Iterable[int], rep_id: int) -> None:
    """One more open lead for `rep_id` in this process's copy (the lead it has just given them)."""
    loads = rep_open_leads_cached(rep_ids=rep_ids)
    loads[rep_id] = loads.get(rep_id, 0) + 1
