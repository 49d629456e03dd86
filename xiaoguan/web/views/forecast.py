"""预测与准确度: the current forecast for the viewer's scope, the weekly snapshots against the actual, and the
managers' calls beside the model's number.

The current forecast is computed as of today 00:00 (so it holds all day and is cached per process) and loaded into
the page by HTMX, because the model takes seconds on a big database; the accuracy charts read only the snapshots.
A manager sees and calls for the regions and teams of their own subtree, a director for all and the company.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from xiaoguan.core.clock import clock_now, clock_today, day_start
from xiaoguan.core.errors import DomainError
from xiaoguan.insights.accuracy import AccuracySeries, AccuracyWeek, accuracy_series, snapshot_quarters
from xiaoguan.insights.calls import call_list, call_scope_allowed, forecast_call_record
from xiaoguan.insights.filters import CockpitFilter, cockpit_filter_parse
from xiaoguan.insights.forecast import Forecast, forecast_cached
from xiaoguan.insights.models import ForecastCall
from xiaoguan.insights.snapshots import (
    ScopeFigures,
    quarter_bounds,
    scope_explain,
    scope_figures,
    snapshot_scopes_visible,
    won_by_owner,
)
from xiaoguan.insights.tasks import forecast_backfill_task
from xiaoguan.org.models import Role, Team, User
from xiaoguan.org.visibility import SEE_ALL_ROLES
from xiaoguan.web.views.cockpit import cockpit_choices
from xiaoguan.web.views.common import AuthedRequest, error_status, forbidden, form_take_error, leads_team

SCOPE_PARAMS = ("region", "team", "rep")
COMPANY = "company"
TEN_THOUSAND = 10_000.0
MAX_REPS_SHOWN = 200
REPS_FIRST = 10  # the rest of the reps fold away under the first ten

class CallForm(forms.Form):
    scope = forms.CharField(widget=forms.HiddenInput)
    kind = forms.ChoiceField(label=gettext_lazy("类型"), choices=ForecastCall.Kind.choices)
    amount = forms.CharField(label=gettext_lazy("本季度成交额（元，含已成交）"), max_length=24, widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    comment = forms.CharField(
        label=gettext_lazy("依据"), required=False, max_length=500,
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("例如：两个大单预计 12 月中旬签约")}),
    )


@dataclass(frozen=True)
class ScopeBlock:
    """One scope's accuracy card: chart, weekly table, the call form (when the viewer may call) and the history."""

    team: Team | None
    key: str
    series: AccuracySeries
    chart: dict[str, Any]
    chart_id: str
    calls: list[ForecastCall]
    form: CallForm | None
    latest: AccuracyWeek | None  # the quarter's latest snapshot week


@dataclass(frozen=True)
class RepRow:
    person: User
    figures: ScopeFigures
    won: Decimal


def _scope_key(team: Team | None) -> str:
    return COMPANY if team is None else team.external_id


def _owners(team: Team | None) -> frozenset[int] | None:
    if team is None:
        return None
    return frozenset(User.objects.filter(team__path__startswith=team.path).values_list("pk", flat=True))


def tracked_scopes(*, user: User, cockpit: CockpitFilter) -> list[Team | None]:
    """The scopes whose accuracy the page shows: the one chosen in the filter, else the viewer's own top scope and the
    regions in it (a director: the company and every region)."""
    visible = snapshot_scopes_visible(user=user)
    chosen = cockpit.team or cockpit.region
    if chosen is not None:
        return [t for t in visible if t is not None and t.pk == chosen.pk]
    if user.role in SEE_ALL_ROLES:
        return [t for t in visible if t is None or t.kind == Team.Kind.REGION]
    own = user.team_id
    return [t for t in visible if t is None or t.pk == own or (t.kind == Team.Kind.REGION)]


def _quarter(value: str | None, *, today: date) -> date:
    current = quarter_bounds(today)[0]
    try:
        asked = quarter_bounds(date.fromisoformat(value))[0] if value else current
    except ValueError:
        return current
    return min(asked, current)


def _wan(value: float | None) -> float | None:
    return None if value is None else round(value / TEN_THOUSAND, 1)


def accuracy_chart(series: AccuracySeries) -> dict[str, Any]:
    """An ECharts option (web/static/web/cockpit.js draws it): the weekly landing with its 80 % band, the calls, the
    won-to-date bars and, for a finished quarter, the actual as a line across."""
    weeks = series.weeks
    low = [_wan(w.landing_low) for w in weeks]
    high = [_wan(w.landing_high) for w in weeks]
    landing_series: dict[str, Any] = {
        "name": _("模型预测落地"), "type": "line", "data": [_wan(w.landing) for w in weeks], "z": 5,
        "lineStyle": {"width": 3, "color": "#2563eb"}, "itemStyle": {"color": "#2563eb"}, "symbolSize": 7,
    }
    if series.finished:
        landing_series["markLine"] = {
            "symbol": "none", "label": {"formatter": _("实际 {c} 万"), "position": "insideEndTop"}, "lineStyle": {"color": "#16a34a", "type": "solid"},
            "data": [{"yAxis": _wan(series.actual)}],
        }
    # The band: P90 filled down to the axis, then P10 filled with the card's white on top of it (no stacking, so the
    # tooltip shows both percentiles as they are).
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"type": "scroll", "bottom": 0, "data": [_("模型预测落地"), _("P90"), _("P10"), _("承诺数"), _("乐观数"), _("已成交")]},
        "grid": {"left": 56, "right": 18, "top": 28, "bottom": 58},
        "xAxis": {"type": "category", "data": [w.week.strftime("%m-%d") for w in weeks]},
        "yAxis": {"type": "value", "name": _("万元"), "splitLine": {"show": False}},
        "series": [
            {"name": _("P90"), "type": "line", "data": high, "z": 1, "symbol": "none", "lineStyle": {"width": 1, "color": "#93c5fd"},
             "areaStyle": {"color": "#dbeafe", "opacity": 1}, "itemStyle": {"color": "#93c5fd"}},
            {"name": _("P10"), "type": "line", "data": low, "z": 2, "symbol": "none", "lineStyle": {"width": 1, "color": "#93c5fd"},
             "areaStyle": {"color": "#ffffff", "opacity": 1}, "itemStyle": {"color": "#93c5fd"}},
            {"name": _("已成交"), "type": "bar", "data": [_wan(w.won_to_date) for w in weeks], "z": 3, "barMaxWidth": 18,
             "itemStyle": {"color": "#86efac"}},
            landing_series,
            {"name": _("承诺数"), "type": "line", "step": "end", "data": [_wan(w.commit) for w in weeks], "z": 4,
             "lineStyle": {"type": "dashed", "color": "#ea580c"}, "itemStyle": {"color": "#ea580c"}, "symbol": "none"},
            {"name": _("乐观数"), "type": "line", "step": "end", "data": [_wan(w.best_case) for w in weeks], "z": 4,
             "lineStyle": {"type": "dotted", "color": "#a855f7"}, "itemStyle": {"color": "#a855f7"}, "symbol": "none"},
        ],
    }  # fmt: skip


def _page_context(request: AuthedRequest, *, call_forms: dict[str, CallForm] | None = None) -> dict[str, Any]:
    user, now, today = request.user, clock_now(), clock_today()
    params = request.GET if request.method == "GET" else request.POST
    cockpit = cockpit_filter_parse(user=user, params=params, today=today)
    scopes = tracked_scopes(user=user, cockpit=cockpit)
    current_quarter = quarter_bounds(today)[0]
    quarter = _quarter(params.get("quarter"), today=today)
    quarters = sorted(set(snapshot_quarters(teams=scopes)) | {current_quarter}, reverse=True)
    call_forms = call_forms or {}
    blocks: list[ScopeBlock] = []
    for team in scopes:
        series = accuracy_series(team=team, owner_ids=_owners(team), quarter_start=quarter, now=now)
        key = _scope_key(team)
        may_call = quarter == current_quarter and call_scope_allowed(user=user, team=team)
        blocks.append(ScopeBlock(
            team=team, key=key, series=series, chart=accuracy_chart(series), chart_id=f"accuracy-{key}",
            calls=list(call_list(team=team, quarter_start=quarter).order_by("-at", "-pk")[:20]),
            form=call_forms.get(key) or (CallForm(initial={"scope": key, "kind": ForecastCall.Kind.COMMIT}) if may_call else None),
            latest=next((w for w in reversed(series.weeks) if w.snapshot is not None), None),
        ))  # fmt: skip
    scope_query = {k: v for k, v in cockpit.query().items() if k in SCOPE_PARAMS}
    selected = next((b for b in blocks if b.key == params.get("scope")), blocks[0] if blocks else None)
    return {
        "selected": selected,
        "scope_links": {b.key: "?" + urlencode({**scope_query, "quarter": quarter.isoformat(), "scope": b.key}) + "#detail" for b in blocks},
        "cockpit": cockpit,
        "cockpit_choices": cockpit_choices(user=user, cockpit=cockpit),
        "scope_keep": [("quarter", quarter.isoformat())],
        "scope_reps": True,
        "blocks": blocks,
        "has_snapshots": any(b.series.snapshots for b in blocks),
        "quarter": quarter,
        "quarter_end": quarter_bounds(quarter)[1],
        "quarters": [{"start": q, "label": _quarter_label(q), "query": urlencode({**scope_query, "quarter": q.isoformat()})} for q in quarters],
        "current_url": reverse("web:cockpit_forecast_current") + ("?" + urlencode(scope_query) if scope_query else ""),
        "may_backfill": user.role in SEE_ALL_ROLES or user.is_superuser,
        "brief_url": reverse("web:cockpit_brief") + ("?" + urlencode(scope_query) if scope_query else ""),
    }


def _quarter_label(first: date) -> str:
    return _("%(year)s 年第 %(q)s 季度") % {"year": first.year, "q": (first.month - 1) // 3 + 1}


@login_required
def forecast_page(request: AuthedRequest) -> HttpResponse:
    if not leads_team(request.user):
        return forbidden(request)
    return render(request, "web/insights/forecast.html", _page_context(request))


@login_required
def forecast_current(request: AuthedRequest) -> HttpResponse:
    """The current forecast for the viewer's scope (an HTMX partial of the forecast page)."""
    user = request.user
    if not leads_team(user):
        return forbidden(request)
    today = clock_today()
    cockpit = cockpit_filter_parse(user=user, params=request.GET, today=today)
    first, last = quarter_bounds(today)
    as_of, until = day_start(today), day_start(last + timedelta(days=1))
    forecast = forecast_cached(as_of=as_of, until=until)
    whole = user.role in SEE_ALL_ROLES and cockpit.region is None and cockpit.team is None and cockpit.rep is None
    owners = None if whole else cockpit.owner_ids
    region_pk = _whole_region(user=user, cockpit=cockpit)
    figures = scope_figures(forecast=forecast, owner_ids=owners, region_pk=region_pk)
    won = won_by_owner(since=day_start(first), before=as_of)
    won_before = sum((v for pk, v in won.items() if owners is None or pk in owners), Decimal(0))
    people = {u.pk: u for u in User.objects.filter(pk__in=list(cockpit.owner_ids)).select_related("team")}
    rep_rows = sorted(
        (
            RepRow(person=people[pk], figures=scope_figures(forecast=forecast, owner_ids=frozenset({pk})), won=won.get(pk, Decimal(0)))
            for pk in set(forecast.by_rep) | set(won)
            if pk in people and (forecast.by_rep.get(pk, 0.0) > 0 or won.get(pk))
        ),
        key=lambda row: (-row.figures.total, row.person.name),
    )[:MAX_REPS_SHOWN]
    context = {
        "as_of": as_of, "until_day": last, "figures": figures, "won_before": won_before,
        "landing": ScopeFigures(total=float(won_before) + figures.total, low=float(won_before) + figures.low, high=float(won_before) + figures.high),
        "regions": _region_rows(user=user, cockpit=cockpit, forecast=forecast, won=won),
        "reps": rep_rows[:REPS_FIRST],
        "reps_more": rep_rows[REPS_FIRST:],
        "explain": list(forecast.explain) if whole else scope_explain(
            forecast=forecast, owner_ids=cockpit.owner_ids, figures=figures, won_before=won_before, as_of=as_of,
            names={pk: p.name for pk, p in people.items()},
        ),
        "cockpit": cockpit,
    }  # fmt: skip
    return render(request, "web/insights/forecast_current.html", context)


def _whole_region(*, user: User, cockpit: CockpitFilter) -> int | None:
    """The region whose model figure (`by_region`) the viewer's scope is: a region chosen, or a manager's own region,
    and only when the viewer sees all of it and nothing narrower was chosen."""
    if cockpit.team is not None or cockpit.rep is not None:
        return None
    region = cockpit.region
    if region is None and user.role == Role.MANAGER and user.team is not None and user.team.kind == Team.Kind.REGION:
        region = user.team
    if region is None:
        return None
    if user.role in SEE_ALL_ROLES:
        return region.pk
    sees_all_of_it = user.team is not None and bool(user.team.path) and region.path.startswith(user.team.path)
    return region.pk if sees_all_of_it else None


def _region_rows(*, user: User, cockpit: CockpitFilter, forecast: Forecast, won: dict[int, Decimal]) -> list[dict[str, Any]]:
    rows = []
    for region in cockpit_choices(user=user, cockpit=cockpit)["regions"]:
        if cockpit.region is not None and region.pk != cockpit.region.pk:
            continue
        members = frozenset(User.objects.filter(team__path__startswith=region.path).values_list("pk", flat=True)) & cockpit.owner_ids
        sees_all = user.role in SEE_ALL_ROLES or (user.team is not None and bool(user.team.path) and region.path.startswith(user.team.path))
        whole_region = sees_all and cockpit.team is None and cockpit.rep is None
        figures = scope_figures(forecast=forecast, owner_ids=members, region_pk=region.pk if whole_region else None)
        rows.append({"team": region, "figures": figures, "won": sum((v for pk, v in won.items() if pk in members), Decimal(0))})
    return rows


@login_required
@require_POST
def forecast_call(request: AuthedRequest) -> HttpResponse:
    """A manager's call for a scope's current quarter."""
    user = request.user
    if not leads_team(user):
        return forbidden(request)
    form = CallForm(request.POST)
    key = request.POST.get("scope", "")
    team = None if key == COMPANY else Team.objects.filter(external_id=key).first()
    if (key != COMPANY and team is None) or not call_scope_allowed(user=user, team=team):
        return forbidden(request, _("你不能为这个范围填报预测"))
    if form.is_valid():
        try:
            forecast_call_record(
                by=user, team=team, kind=form.cleaned_data["kind"], amount=form.cleaned_data["amount"],
                comment=form.cleaned_data["comment"], now=clock_now(),
            )
        except DomainError as exc:
            form_take_error(form, exc)
            return render(request, "web/insights/forecast.html", _page_context(request, call_forms={key: form}), status=error_status(exc))
        messages.success(request, _("已记录你的本季度预测。"))
        keep = {k: request.POST[k] for k in (*SCOPE_PARAMS, "quarter") if request.POST.get(k)}
        return redirect(reverse("web:cockpit_forecast") + ("?" + urlencode(keep) if keep else "") + f"#scope-{key}")
    return render(request, "web/insights/forecast.html", _page_context(request, call_forms={key: form}), status=422)


@login_required
@require_POST
def forecast_backfill(request: AuthedRequest) -> HttpResponse:
    """Director/admin: compute the snapshots of the Mondays since the start of the previous quarter, in the background."""
    user = request.user
    if not (user.role in SEE_ALL_ROLES or user.is_superuser):
        return forbidden(request)
    today = clock_today()
    first = quarter_bounds(quarter_bounds(today)[0] - timedelta(days=1))[0]
    forecast_backfill_task.enqueue(first=first.isoformat(), last=today.isoformat())
    messages.success(request, _("已在后台补算 %(first)s 以来每个周一的预测快照，完成后刷新本页即可看到（数据量大时需要几分钟）。") % {"first": first.isoformat()})
    return redirect("web:cockpit_forecast")
