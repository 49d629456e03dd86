"""Reads of leads, always through the visibility rule."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import connection
from django.db.models import Count, Q, QuerySet

from xiaoguan.leads.models import Lead, RepDailyIntake
from xiaoguan.org.models import Role, User
from xiaoguan.org.visibility import SEE_ALL_ROLES, assigned_scope, owner_scope, scope_any, scope_apply


def lead_list_visible_to(*, user: User) -> QuerySet[Lead]:
    leads = Lead.objects.select_related("owner", "region")
    return scope_apply(leads, scope_any(owner_scope(user=user), assigned_scope(user=user, model=Lead)))


def lead_search(*, user: User, query: str = "", status: str = "", source: str = "") -> QuerySet[Lead]:
    leads = lead_list_visible_to(user=user)
    if status:
        leads = leads.filter(status=status)
    if source:
        leads = leads.filter(source=source)
    query = query.strip()
    if query:
        leads = leads.filter(Q(name__icontains=query) | Q(company__icontains=query) | Q(phone=query) | Q(external_id=query))
    return leads.order_by("-created_at", "-pk")


def rep_intake_on(*, rep_ids: Sequence[int], day: date) -> dict[int, int]:
    """New leads each rep received on `day` (routed, dispatched, claimed, their own): what the daily cap counts."""
    ids = [int(pk) for pk in rep_ids]
    if not ids:
        return {}
    table = RepDailyIntake._meta.db_table
    marks = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT rep_id, assigned FROM {table} WHERE day = %s AND rep_id IN ({marks})", [day, *ids])  # noqa: S608
        return dict(cursor.fetchall())


def lead_pool_visible_to(*, user: User) -> QuerySet[Lead]:
    """The pool (公海) a person may see and claim from: their region's; a director or admin sees every region's."""
    pool = Lead.objects.filter(pool_since__isnull=False).exclude(status__in=Lead.CLOSED_STATUSES).select_related("region")
    if not user.is_active:
        return pool.none()
    if user.role in SEE_ALL_ROLES:
        return pool
    if user.role in (Role.REP, Role.MANAGER) and user.team is not None and (region := user.team.region()) is not None:
        return pool.filter(region=region)
    return pool.none()


@dataclass(frozen=True)
class SlaStats:
    assigned: int
    contacted: int
    response_p50_minutes: float | None
    response_p90_minutes: float | None
    within_2h_rate: float | None
    within_72h_rate: float | None
    overdue_now: int


def _percentile(sorted_values: Sequence[float], q: float) -> float | None:
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


def _sla_stats_of(rows: Sequence[tuple[datetime, datetime | None]], *, overdue: int, now: datetime) -> SlaStats:
    minutes = sorted((contact - assigned).total_seconds() / 60 for assigned, contact in rows if contact is not None and contact >= assigned)
    matured_72h = [(a, c) for a, c in rows if now - a >= timedelta(hours=72)]
    matured_2h = [(a, c) for a, c in rows if now - a >= timedelta(hours=2)]

    def rate(pairs: list[tuple[datetime, datetime | None]], window: timedelta) -> float | None:
        if not pairs:
            return None
        return sum(1 for a, c in pairs if c is not None and c - a <= window) / len(pairs)

    return SlaStats(
        assigned=len(rows), contacted=len(minutes), response_p50_minutes=_percentile(minutes, 0.5), response_p90_minutes=_percentile(minutes, 0.9),
        within_2h_rate=rate(matured_2h, timedelta(hours=2)), within_72h_rate=rate(matured_72h, timedelta(hours=72)), overdue_now=overdue,
    )


def _overdue(leads: QuerySet[Lead], *, now: datetime) -> QuerySet[Lead]:
    return leads.filter(first_contact_at__isnull=True, first_contact_due_at__lt=now).exclude(status__in=Lead.CLOSED_STATUSES)


def lead_sla_stats(*, leads: QuerySet[Lead], since: datetime, now: datetime) -> SlaStats:
    """First-response figures over leads assigned since `since` (the seeds' health lines: ≤ 2 h, ≥ 95 % in 72 h).

    Response time is wall-clock from assignment to the first contact; a lead not yet contacted counts as not
    within a window only once that window has passed.
    """
    rows: list[tuple[datetime, datetime | None]] = [
        (assigned, contact)
        for assigned, contact in leads.filter(assigned_at__gte=since, assigned_at__lte=now).values_list("assigned_at", "first_contact_at")
        if assigned is not None
    ]
    return _sla_stats_of(rows, overdue=_overdue(leads, now=now).count(), now=now)


def lead_sla_stats_by_owner(*, leads: QuerySet[Lead], owner_ids: Sequence[int], since: datetime, now: datetime) -> dict[int, SlaStats]:
    """`lead_sla_stats` for each owner, from one read of the window's rows and one grouped count (not two queries a rep)."""
    rows: dict[int, list[tuple[datetime, datetime | None]]] = {pk: [] for pk in owner_ids}
    window = leads.filter(owner_id__in=list(owner_ids), assigned_at__gte=since, assigned_at__lte=now)
    for owner_id, assigned, contact in window.values_list("owner_id", "assigned_at", "first_contact_at"):
        if assigned is not None and owner_id is not None:
            rows[owner_id].append((assigned, contact))
    overdue = dict(
        _overdue(leads.filter(owner_id__in=list(owner_ids)), now=now).values("owner_id").annotate(n=Count("pk")).order_by().values_list("owner_id", "n")
    )
    return {pk: _sla_stats_of(rows[pk], overdue=overdue.get(pk, 0), now=now) for pk in owner_ids}
