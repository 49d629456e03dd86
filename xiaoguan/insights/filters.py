"""The one filter every cockpit page takes: period, region, team, rep, product line, pipeline — within what the viewer may see.

`cockpit_filter_parse` turns query parameters into a `CockpitFilter`; bad or foreign values fall back to "all" (a
shared link with a team the viewer may not see shows the viewer's own scope, never an error page and never more).
`owner_ids` is the set of people whose records the numbers are about: the visibility rule (org.selectors) intersected
with the chosen region/team/rep. Every dashboard selector filters its rows on it, so no number counts a record the
viewer could not open.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from xiaoguan.core.clock import day_start
from xiaoguan.opportunities.models import Opportunity, Pipeline
from xiaoguan.org.models import Role, Team, User
from xiaoguan.org.selectors import user_list_visible_to

PERIODS: dict[str, str] = {
    "month": "本月",
    "quarter": "本季度",
    "last90": "近90天",
    "last180": "近180天",
    "year": "本年",
    "custom": "自定义",
}
DEFAULT_PERIOD = "quarter"


@dataclass(frozen=True)
class CockpitFilter:
    period: str
    start: date  # first day, inclusive
    end: date  # last day, inclusive
    region: Team | None
    team: Team | None
    rep: User | None
    product_line: str
    pipeline: Pipeline | None
    owner_ids: frozenset[int] = field(repr=False)

    @property
    def start_at(self) -> datetime:
        return day_start(self.start)

    @property
    def end_at(self) -> datetime:
        """00:00 of the day after `end`: the period is [start_at, end_at)."""
        return day_start(self.end + timedelta(days=1))

    def query(self, **overrides: str) -> dict[str, str]:
        """The filter as query parameters (for drill-down links that keep it), with some values replaced."""
        params = {
            "period": self.period,
            "start": self.start.isoformat() if self.period == "custom" else "",
            "end": self.end.isoformat() if self.period == "custom" else "",
            "region": self.region.external_id if self.region else "",
            "team": self.team.external_id if self.team else "",
            "rep": self.rep.external_id if self.rep else "",
            "product_line": self.product_line,
            "pipeline": self.pipeline.external_id if self.pipeline else "",
        }
        params.update(overrides)
        return {k: v for k, v in params.items() if v}


def period_bounds(*, period: str, today: date, start: date | None = None, end: date | None = None) -> tuple[date, date]:
    """First and last day (inclusive) of a named period containing `today`; `custom` uses start/end."""
    if period == "month":
        first = today.replace(day=1)
        return first, (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    if period == "year":
        return today.replace(month=1, day=1), today.replace(month=12, day=31)
    if period == "last90":
        return today - timedelta(days=89), today
    if period == "last180":
        return today - timedelta(days=179), today
    if period == "custom" and start is not None and end is not None and start <= end:
        return start, end
    quarter_first = today.replace(month=3 * ((today.month - 1) // 3) + 1, day=1)
    next_quarter = (quarter_first + timedelta(days=95)).replace(day=1)
    return quarter_first, next_quarter - timedelta(days=1)


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def cockpit_filter_parse(*, user: User, params: Mapping[str, str], today: date) -> CockpitFilter:
    period = params.get("period") or DEFAULT_PERIOD
    if period not in PERIODS:
        period = DEFAULT_PERIOD
    start, end = period_bounds(period=period, today=today, start=_date(params.get("start")), end=_date(params.get("end")))
    if period == "custom" and (start, end) != (_date(params.get("start")), _date(params.get("end"))):
        period = DEFAULT_PERIOD  # an empty or reversed custom range: show the default, labelled as such

    people = user_list_visible_to(user=user)
    teams = {t.external_id: t for t in Team.objects.filter(pk__in=people.values("team_id"))}
    region = _visible_team(teams, params.get("region"), kind=Team.Kind.REGION)
    team = _visible_team(teams, params.get("team"), kind=None)
    if region is not None:
        people = people.filter(team__path__startswith=region.path)
    if team is not None:
        people = people.filter(team__path__startswith=team.path)
    rep = people.filter(external_id=params.get("rep") or "", role=Role.REP).first() if params.get("rep") else None
    if rep is not None:
        people = people.filter(pk=rep.pk)

    pipeline = Pipeline.objects.filter(external_id=params.get("pipeline") or "").first() if params.get("pipeline") else None
    product_line = (params.get("product_line") or "").strip()[:100]
    return CockpitFilter(
        period=period,
        start=start,
        end=end,
        region=region,
        team=team,
        rep=rep,
        product_line=product_line,
        pipeline=pipeline,
        owner_ids=frozenset(people.values_list("pk", flat=True)),
    )


def _visible_team(teams: dict[str, Team], external_id: str | None, *, kind: str | None) -> Team | None:
    """A team the viewer has people in (a manager's own subtree; everything for a director), else None."""
    if not external_id:
        return None
    found = teams.get(external_id) or Team.objects.filter(external_id=external_id).first()
    if found is None or (kind is not None and found.kind != kind):
        return None
    if not any(t.path.startswith(found.path) for t in teams.values()):
        return None
    return found


def product_lines() -> list[str]:
    """The product lines deals carry, for the filter's choices."""
    return sorted(p for p in Opportunity.objects.values_list("product_line", flat=True).distinct() if p)
