"""The manager's call (经理预测): their own number for a scope's quarter, beside the model's.

A call is the whole quarter's won contract value as the manager expects it (what is already won included), either a
commit (承诺数: what they will stand behind) or a best case (乐观数). Each entry is a new row with who and when; the
latest entry of a week is that week's call. A manager calls for the regions and teams of their own subtree, a
director (or admin) for any of them and for the company.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from xiaoguan.core.clock import org_tz
from xiaoguan.core.errors import NotAllowedError, ValidationFailedError
from xiaoguan.core.money import money_round
from xiaoguan.insights.models import ForecastCall
from xiaoguan.insights.snapshots import quarter_bounds, snapshot_scopes_visible, week_monday
from xiaoguan.org.models import Team, User

# A call far beyond anything the organisation has sold is a typo (an extra zero or two), not a forecast.
MAX_CALL = Decimal("100000000000")


def call_scope_allowed(*, user: User, team: Team | None) -> bool:
    """Whether the user may read and enter calls for the scope (None: the company)."""
    visible = snapshot_scopes_visible(user=user)
    return any((t is None and team is None) or (t is not None and team is not None and t.pk == team.pk) for t in visible)


def forecast_call_record(
    *, by: User, team: Team | None, kind: str, amount: Decimal | str, comment: str, now: datetime,
) -> ForecastCall:
    """Record a manager's call for the current quarter of `team` (None: the company), in this week."""
    if not call_scope_allowed(user=by, team=team):
        raise NotAllowedError()
    errors: dict[str, list[str]] = {}
    if kind not in ForecastCall.Kind.values:
        errors["kind"] = [_("请选择承诺数或乐观数")]
    try:
        parsed: Decimal | None = Decimal(str(amount).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        parsed = None
    value = money_round(parsed) if parsed is not None and parsed.is_finite() and abs(parsed) <= MAX_CALL * 10 else parsed
    if value is None or not value.is_finite():
        errors["amount"] = [_("请填写金额（元）")]
    elif value < 0:
        errors["amount"] = [_("金额不能为负")]
    elif value > MAX_CALL:
        errors["amount"] = [_("金额过大，请检查单位（元）")]
    comment = comment.strip()
    if len(comment) > 500:
        errors["comment"] = [_("说明最多 500 字")]
    today = now.astimezone(org_tz()).date()
    week = week_monday(today)
    first, _last = quarter_bounds(today)
    if not errors and value is not None:
        other = ForecastCall.Kind.BEST_CASE if kind == ForecastCall.Kind.COMMIT else ForecastCall.Kind.COMMIT
        standing = call_latest(team=team, quarter_start=first, kind=other, until_week=week)
        if standing is not None and standing.week == week:
            if kind == ForecastCall.Kind.BEST_CASE and value < standing.amount:
                errors["amount"] = [_("乐观数不能低于本周的承诺数 %(commit)s 元") % {"commit": f"{standing.amount:,.0f}"}]
            if kind == ForecastCall.Kind.COMMIT and value > standing.amount:
                errors["amount"] = [_("承诺数不能高于本周的乐观数 %(best)s 元") % {"best": f"{standing.amount:,.0f}"}]
    if errors or value is None:
        raise ValidationFailedError(field_errors=errors)
    return ForecastCall.objects.create(
        team=team, quarter_start=first, week=week, kind=kind, amount=value, comment=comment, by=by, at=now,
    )


def call_list(*, team: Team | None, quarter_start: date) -> QuerySet[ForecastCall]:
    """Every call entered for the scope's quarter, oldest first (the history with who and when)."""
    calls = ForecastCall.objects.filter(quarter_start=quarter_start).select_related("by")
    return calls.filter(team__isnull=True) if team is None else calls.filter(team=team)


def call_latest(*, team: Team | None, quarter_start: date, kind: str, until_week: date) -> ForecastCall | None:
    """The call standing in `until_week`: the latest entered in that week or before (a call stands until changed)."""
    return call_list(team=team, quarter_start=quarter_start).filter(kind=kind, week__lte=until_week).order_by("-at", "-pk").first()


@dataclass(frozen=True)
class WeekCalls:
    commit: ForecastCall | None
    best_case: ForecastCall | None


def calls_by_week(*, team: Team | None, quarter_start: date, weeks: list[date]) -> dict[date, WeekCalls]:
    """For each week, the commit and best case standing then (carried forward from earlier weeks of the quarter)."""
    history = list(call_list(team=team, quarter_start=quarter_start).order_by("at", "pk"))
    out: dict[date, WeekCalls] = {}
    for week in weeks:
        standing: dict[str, ForecastCall] = {}
        for call in history:
            if call.week <= week:
                standing[call.kind] = call
        out[week] = WeekCalls(commit=standing.get(ForecastCall.Kind.COMMIT), best_case=standing.get(ForecastCall.Kind.BEST_CASE))
    return out
