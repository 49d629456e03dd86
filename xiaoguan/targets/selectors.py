from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet

from xiaoguan.core.models import HistoryEntry
from xiaoguan.org.models import Role, User
from xiaoguan.org.visibility import NOTHING, owner_scope, scope_any, scope_apply
from xiaoguan.targets.models import Target, TargetFitReport, TargetProposal
from xiaoguan.targets.periods import MONTH, QUARTER, target_period


def target_list_visible_to(*, user: User) -> QuerySet[Target]:
    """Own targets; a manager also those of the team subtree and its people; director and admin all."""
    team_scope = NOTHING
    if user.role == Role.MANAGER and user.team is not None and user.team.path:
        team_scope = Q(team__path__startswith=user.team.path)
    return scope_apply(Target.objects.select_related("user", "team"), scope_any(owner_scope(user=user, owner_field="user"), team_scope))


@dataclass(frozen=True)
class TargetAmounts:
    """The imposed targets of one period: user pk -> amount, team pk -> amount."""

    users: dict[int, Decimal] = field(default_factory=dict)
    teams: dict[int, Decimal] = field(default_factory=dict)


def target_amounts(*, period: str) -> TargetAmounts:
    """Each person's and team's target for `period`: the row without a product line when there is one (the total),
    otherwise the sum of the product-line rows."""
    totals: dict[tuple[str, int], Decimal] = {}
    parts: dict[tuple[str, int], Decimal] = defaultdict(Decimal)
    for kind, user_id, team_id, line, amount in Target.objects.filter(period=period).values_list(
        "scope_kind", "user_id", "team_id", "product_line", "amount"
    ):
        key = (kind, user_id if kind == Target.ScopeKind.USER else team_id)
        if line:
            parts[key] += amount
        else:
            totals[key] = amount
    merged = {**parts, **totals}
    return TargetAmounts(
        users={pk: v for (kind, pk), v in merged.items() if kind == Target.ScopeKind.USER},
        teams={pk: v for (kind, pk), v in merged.items() if kind == Target.ScopeKind.TEAM},
    )


def target_grain() -> str:
    """Whether the organisation sets targets by quarter or by month: the grain of its latest period (quarter when none)."""
    latest = None
    for code in Target.objects.values_list("period", flat=True).distinct():
        try:
            period = target_period(code)
        except ValueError:
            continue
        if latest is None or (period.start, period.months) > (latest.start, latest.months):
            latest = period
    if latest is None:
        return QUARTER
    return latest.grain if latest.grain in (QUARTER, MONTH) else QUARTER


def target_fit_report_get(*, month: str) -> TargetFitReport | None:
    return TargetFitReport.objects.filter(month=month).first()


def target_fit_report_list() -> QuerySet[TargetFitReport]:
    """The reports, newest first, without their figures (a list of months)."""
    return TargetFitReport.objects.defer("figures").order_by("-month")


def target_proposals_visible_to(*, user: User, report: TargetFitReport | None = None) -> QuerySet[TargetProposal]:
    """Proposals (of one report, or of all) for the people the user may see (a manager: the team subtree; director,
    admin: all)."""
    proposals = TargetProposal.objects.select_related("report", "user", "user__team", "adjusted_by", "accepted_by")
    if report is not None:
        proposals = proposals.filter(report=report)
    return scope_apply(proposals, owner_scope(user=user, owner_field="user"))


def target_adjustments(*, proposals: QuerySet[TargetProposal]) -> QuerySet[HistoryEntry]:
    """The audit trail of the given proposals (every adjustment and acceptance), newest first."""
    return HistoryEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(TargetProposal), object_id__in=proposals.values("pk")
    ).select_related("actor").order_by("-at", "-pk")
