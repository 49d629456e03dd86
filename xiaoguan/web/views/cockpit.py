"""驾驶舱 (the managers' cockpit): the landing page, the shared filter bar, and the drill-down behind every number.

Every cockpit page calls `cockpit_context(request)` and includes `web/insights/_filter_bar.html` with what it returns:
the parsed `CockpitFilter` (`cockpit`), the filter's choices limited to what the viewer may see (`cockpit_choices`),
and the filter as a query string (`cockpit_query`) for links that keep it. Charts carry their data in a
`<script type="application/json">` block drawn by static/web/cockpit.js; a click on a bar, cell or point follows the
`url` of its data item to `cockpit_drill`, which lists the records behind it through the visibility selectors.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet, Sum
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from xiaoguan.activities.selectors import activity_list_visible_to
from xiaoguan.core.clock import clock_today
from xiaoguan.core.process_cache import ProcessCache
from xiaoguan.insights import dwell, funnel, heatmap, overview, radar  # importing them registers their drill-downs
from xiaoguan.insights.drill import Drill, drill_resolve
from xiaoguan.insights.filters import PERIODS, CockpitFilter, cockpit_filter_parse, product_lines
from xiaoguan.leads.selectors import lead_list_visible_to
from xiaoguan.opportunities.models import Pipeline
from xiaoguan.opportunities.selectors import opportunity_list_visible_to
from xiaoguan.org.models import Role, Team, User
from xiaoguan.org.selectors import user_list_visible_to
from xiaoguan.web.views.common import AuthedRequest, forbidden, leads_team, page_number, page_window

# The cockpit's pages as the landing page lists them: (URL name, title, what it answers). A page shows once its URL
# exists, so an engineer adding a page appends a line here and routes it in web/urls_cockpit.py.
COCKPIT_PAGES: list[tuple[str, str, str]] = [
    ("web:cockpit_funnel", "阶段漏斗", "本期进入各阶段的商机数、逐级转化率和金额，赢单与输单"),
    ("web:cockpit_dwell", "阶段停留", "商机在每个阶段停留的天数（中位数、P75），找出卡点阶段"),
    ("web:cockpit_heatmap", "目标达成热力图", "各大区逐月的目标达成率，以及本月和未来月份的完成概率"),
    ("web:cockpit_radar", "销售能力雷达", "每位销售在获客、诊断、演示、谈判、成交、跟进纪律六个维度的得分"),
    ("web:cockpit_forecast", "预测与准确度", "本季度成交预测与 80% 区间，每周快照与实际对照的误差，经理的承诺数"),
    ("web:cockpit_brief", "周例会简报", "线索质量、卡点阶段、需要帮助的销售、预测变化；例会决议派成待办"),
    ("web:cockpit_behaviour", "行为与转化", "成交前做过哪些动作的商机赢得更多：赢率、95% 区间、周期和提升"),
    ("web:cockpit_health", "过程健康诊断", "首次响应、72 小时联系率、触达渠道、具体动作、人均有效线索，对照标准红黄绿"),
    ("web:cockpit_customers", "客户健康度", "每个客户 0–100 分，从最差的开始，写明原因"),
    ("web:cockpit_efficiency", "商机推进效率", "各大区每次有效拜访换来多少次阶段推进"),
    ("web:target_fit", "目标适配度报告", "按有效触达、转化和健康客单价给出建议目标，建议与下达目标的完成概率，经理 ±15% 微调后采纳"),
]


# The product lines deals carry: a DISTINCT over every deal, the same for everyone, and it changes rarely.
_product_lines = ProcessCache("cockpit.product_lines", seconds=600)

FILTER_PARAMS = frozenset({"period", "start", "end", "region", "team", "rep", "product_line", "pipeline"})


def cockpit_context(request: AuthedRequest) -> dict[str, Any]:
    """What every cockpit page needs for the filter bar and for links that keep the filter."""
    cockpit = cockpit_filter_parse(user=request.user, params=request.GET, today=clock_today())
    return {
        "cockpit": cockpit,
        "cockpit_choices": cockpit_choices(user=request.user, cockpit=cockpit),
        "cockpit_query": urlencode(cockpit.query()),
    }


def cockpit_choices(*, user: User, cockpit: CockpitFilter) -> dict[str, Any]:
    """The filter's options, only what the viewer may see: their regions and teams, the reps in the chosen scope."""
    people = user_list_visible_to(user=user)
    paths = list(Team.objects.filter(pk__in=people.values("team_id")).values_list("path", flat=True))
    teams = [
        t for t in Team.objects.filter(kind__in=[Team.Kind.REGION, Team.Kind.TEAM]).order_by("path")
        if any(p.startswith(t.path) for p in paths)
    ]  # fmt: skip
    scope = cockpit.team or cockpit.region
    reps = people.filter(role=Role.REP)
    if scope is not None:
        reps = reps.filter(team__path__startswith=scope.path)
    return {
        "periods": list(PERIODS.items()),
        "regions": [t for t in teams if t.kind == Team.Kind.REGION],
        "teams": [t for t in teams if t.kind == Team.Kind.TEAM and (cockpit.region is None or t.path.startswith(cockpit.region.path))],
        "reps": list(reps.select_related(None).order_by("team__path", "name").only("external_id", "name", "is_active")),
        "product_lines": _product_lines.get("all", product_lines),
        "pipelines": list(Pipeline.objects.order_by("pk")),
    }


def _url(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def drill_url(cockpit: CockpitFilter, code: str, **params: str | int) -> str:
    """The drill-down link of one number: the filter, the drill code and what was clicked."""
    query = cockpit.query(drill=code, **{k: str(v) for k, v in params.items()})
    return reverse("web:cockpit_drill") + "?" + urlencode(query)


@login_required
def cockpit_home(request: AuthedRequest) -> HttpResponse:
    if not leads_team(request.user):
        return forbidden(request)
    context = cockpit_context(request)
    cockpit: CockpitFilter = context["cockpit"]
    figures = overview.overview_compute(cockpit=cockpit)
    query = context["cockpit_query"]
    pages = []
    for name, title, blurb in COCKPIT_PAGES:
        url = _url(name)
        if url is not None:
            pages.append({"url": f"{url}?{query}" if query else url, "title": _(title), "blurb": _(blurb)})
    context.update({
        "figures": figures,
        "pages": pages,
        "links": {code: drill_url(cockpit, code) for code in ("won", "lost", "created", "open", "leads_new", "activities")},
    })  # fmt: skip
    return render(request, "web/insights/cockpit.html", context)


@login_required
def cockpit_drill(request: AuthedRequest) -> HttpResponse:
    """The records behind one number: the drill code's condition applied to the viewer's visible records, paged."""
    if not leads_team(request.user):
        return forbidden(request)
    context = cockpit_context(request)
    drill = drill_resolve(code=request.GET.get("drill", ""), cockpit=context["cockpit"], params=request.GET)
    if drill is None:
        return render(request, "web/insights/drill.html", {**context, "drill": None}, status=404)
    rows = drill_rows(user=request.user, drill=drill)
    params = request.GET.copy()
    params.pop("page", None)
    context.update({
        "cockpit_keep": [(k, v) for k, v in params.items() if k not in FILTER_PARAMS],
        "drill": drill,
        "window": page_window(rows, number=page_number(request)),
        "total": rows.count(),
        "amount": rows.aggregate(total=Sum("amount"))["total"] if drill.kind == "deals" else None,
        "query": params.urlencode(),
        "home_url": reverse("web:cockpit") + (f"?{context['cockpit_query']}" if context["cockpit_query"] else ""),
    })  # fmt: skip
    return render(request, "web/insights/drill.html", context)


def drill_rows(*, user: User, drill: Drill) -> QuerySet[Any]:
    """The drill's records among those the viewer may see (the condition alone is never trusted with visibility)."""
    rows: QuerySet[Any]
    if drill.kind == "deals":
        rows = opportunity_list_visible_to(user=user)
    elif drill.kind == "leads":
        rows = lead_list_visible_to(user=user)
    else:
        rows = activity_list_visible_to(user=user).select_related("account", "opportunity", "lead")
    return rows.filter(drill.condition).order_by(*(drill.order_by or ("-pk",)))


# ---- the dashboards ---------------------------------------------------------------------------------------------


@login_required
def cockpit_funnel(request: AuthedRequest) -> HttpResponse:
    if not leads_team(request.user):
        return forbidden(request)
    context = cockpit_context(request)
    cockpit: CockpitFilter = context["cockpit"]
    funnels = []
    for f in funnel.funnel_compute(cockpit=cockpit):
        rows: list[dict[str, Any]] = [
            {
                "stage": s, "deals": s.deals, "went_on": s.went_on, "conversion": s.conversion, "amount": s.amount, "lost_here": s.lost_here,
                "reached_url": drill_url(cockpit, "funnel_reached", stage=s.stage.pk),
                "went_on_url": drill_url(cockpit, "funnel_went_on", stage=s.stage.pk),
                "lost_url": drill_url(cockpit, "funnel_lost_here", stage=s.stage.pk),
            }
            for s in f.stages
        ]  # fmt: skip
        chart: dict[str, Any] = {
            "tooltip": {"trigger": "item", "formatter": _("{b}：{c} 个商机")},
            "series": [{
                "type": "funnel", "sort": "none", "left": "8%", "width": "84%", "top": 8, "bottom": 8, "gap": 2, "min": 0,
                "max": max(f.reached_any, 1), "minSize": "12%",
                "label": {"show": True, "position": "inside", "formatter": "{b}  {c}", "color": "#fff", "fontSize": 12},
                "itemStyle": {"borderColor": "#fff", "borderWidth": 1},
                "data": [{"name": r["stage"].stage.name, "value": r["deals"], "url": r["reached_url"]} for r in rows],
            }],
            "color": ["#1f6feb", "#3b82f6", "#60a5fa", "#7aa7f5", "#0f7b55", "#5fb58f", "#98a2b3"],
        }  # fmt: skip
        funnels.append({
            "funnel": f, "rows": rows, "chart": chart, "chart_id": f"funnel-{f.pipeline.pk}",
            "won_url": drill_url(cockpit, "won", pipeline=f.pipeline.external_id),
            "lost_url": drill_url(cockpit, "lost", pipeline=f.pipeline.external_id),
        })  # fmt: skip
    context["funnels"] = funnels
    return render(request, "web/insights/funnel.html", context)


@login_required
def cockpit_dwell(request: AuthedRequest) -> HttpResponse:
    if not leads_team(request.user):
        return forbidden(request)
    context = cockpit_context(request)
    cockpit: CockpitFilter = context["cockpit"]
    sections = []
    for d in dwell.dwell_compute(cockpit=cockpit):
        rows: list[dict[str, Any]] = [
            {"dwell": s, "completed_url": drill_url(cockpit, "dwell_completed", stage=s.stage.pk), "open_url": drill_url(cockpit, "dwell_open", stage=s.stage.pk)}
            for s in d.stages
        ]

        def bar(value: float | None, row: dict[str, Any], *, strong: bool, url_key: str) -> dict[str, Any]:
            item: dict[str, Any] = {"value": None if value is None else round(value, 1), "url": row[url_key]}
            if strong and row["dwell"].is_bottleneck:
                item["itemStyle"] = {"color": "#c3341a"}
            return item

        chart: dict[str, Any] = {
            "grid": {"left": 8, "right": 12, "top": 36, "bottom": 4, "containLabel": True},
            "legend": {"top": 0, "textStyle": {"color": "#475467"}},
            "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
            "xAxis": {"type": "category", "data": [r["dwell"].stage.name for r in rows], "axisTick": {"show": False}, "axisLabel": {"color": "#667085", "interval": 0}},
            "yAxis": {"type": "value", "name": _("天"), "splitLine": {"lineStyle": {"color": "#eef1f5"}}, "axisLabel": {"color": "#98a2b3"}},
            "series": [
                {"name": _("已结束·中位数"), "type": "bar", "barMaxWidth": 22, "itemStyle": {"color": "#1f6feb"},
                 "label": {"show": True, "position": "top", "fontSize": 11, "color": "#475467"},
                 "data": [bar(r["dwell"].median_days, r, strong=True, url_key="completed_url") for r in rows]},
                {"name": _("已结束·P75"), "type": "bar", "barMaxWidth": 22, "itemStyle": {"color": "#93b8f5"},
                 "data": [bar(r["dwell"].p75_days, r, strong=False, url_key="completed_url") for r in rows]},
                {"name": _("仍在停留·至今中位数"), "type": "bar", "barMaxWidth": 22, "itemStyle": {"color": "#b54708"},
                 "data": [bar(r["dwell"].open_median_days, r, strong=False, url_key="open_url") for r in rows]},
            ],
        }  # fmt: skip
        sections.append({"dwell": d, "rows": rows, "chart": chart, "chart_id": f"dwell-{d.pipeline.pk}"})
    context.update({"sections": sections, "min_stays": dwell.MIN_STAYS, "cut": dwell.dwell_cut(cockpit)})
    return render(request, "web/insights/dwell.html", context)


BAND_COLOURS = {"red": "#f3b5a9", "amber": "#f8d49b", "green": "#a7dcc3"}


def _heat_chart(*, months: list[str], regions: list[str], cells: list[dict[str, Any]], green: float, amber: float) -> dict[str, Any]:
    """A region × month heatmap whose cells are coloured by the red/amber/green bands (values in percent)."""
    return {
        "grid": {"left": 8, "right": 8, "top": 8, "bottom": 44, "containLabel": True},
        "tooltip": {"position": "top"},
        "xAxis": {"type": "category", "data": months, "splitArea": {"show": True}, "axisLabel": {"color": "#667085"}},
        "yAxis": {"type": "category", "data": regions, "splitArea": {"show": True}, "inverse": True, "axisLabel": {"color": "#475467"}},
        "visualMap": {
            "type": "piecewise", "orient": "horizontal", "left": "center", "bottom": 0, "dimension": 2, "itemWidth": 14,
            "pieces": [
                {"lt": amber * 100, "color": BAND_COLOURS["red"], "label": _("红 < %(v)s%%") % {"v": round(amber * 100)}},
                {"gte": amber * 100, "lt": green * 100, "color": BAND_COLOURS["amber"],
                 "label": _("黄 %(a)s%%–%(g)s%%") % {"a": round(amber * 100), "g": round(green * 100)}},
                {"gte": green * 100, "color": BAND_COLOURS["green"], "label": _("绿 ≥ %(v)s%%") % {"v": round(green * 100)}},
            ],
        },
        "series": [{
            "type": "heatmap", "data": cells, "label": {"show": True, "formatter": "{@[2]}%", "color": "#1d2733", "fontSize": 12},
            "itemStyle": {"borderColor": "#fff", "borderWidth": 2},
        }],
    }  # fmt: skip


def _heatmap_context(request: AuthedRequest, *, with_chances: bool) -> dict[str, Any]:
    context = cockpit_context(request)
    cockpit: CockpitFilter = context["cockpit"]
    result = heatmap.heatmap_compute(cockpit=cockpit, viewer=request.user, with_chances=with_chances)
    month_labels = [m.strftime("%Y-%m") for m in result.months]
    region_labels = [row.region.name if row.region else _("未归属大区") for row in result.rows]
    rows = []
    attainment_cells, probability_cells = [], []
    for y, row in enumerate(result.rows):
        links = []
        for x, cell in enumerate(row.cells):
            overrides = {"month": month_labels[x]}
            if row.region is not None:
                overrides["region"] = row.region.external_id
            url = drill_url(cockpit, "won_month", **overrides)
            links.append(url)
            if cell.attainment is not None:
                attainment_cells.append({"value": [x, y, round(100 * cell.attainment)], "url": url})
            if cell.probability is not None:
                probability_cells.append({"value": [x, y, round(100 * cell.probability)], "url": url})
        rows.append({"row": row, "label": region_labels[y], "cells": list(zip(row.cells, links, strict=True))})
    chart = _heat_chart(months=month_labels, regions=region_labels, cells=probability_cells if with_chances else attainment_cells,
                        green=heatmap.PROBABILITY_GREEN if with_chances else heatmap.ATTAINMENT_GREEN,
                        amber=heatmap.PROBABILITY_AMBER if with_chances else heatmap.ATTAINMENT_AMBER)
    context.update({
        "heat": result, "rows": rows, "months": month_labels,
        "chart": chart if (probability_cells if with_chances else attainment_cells) else None,
        "chart_height": max(180, 60 + 44 * len(rows)),
        "chance_months": [m.strftime("%Y-%m") for m in result.chance_months],
        "bands": {"att_green": heatmap.ATTAINMENT_GREEN, "att_amber": heatmap.ATTAINMENT_AMBER,
                  "p_green": heatmap.PROBABILITY_GREEN, "p_amber": heatmap.PROBABILITY_AMBER},
    })  # fmt: skip
    return context


@login_required
def cockpit_heatmap(request: AuthedRequest) -> HttpResponse:
    """Attainment at once; the completion probabilities come in a second request (cockpit_heatmap_chances)."""
    if not leads_team(request.user):
        return forbidden(request)
    return render(request, "web/insights/heatmap.html", _heatmap_context(request, with_chances=False))


@login_required
def cockpit_heatmap_chances(request: AuthedRequest) -> HttpResponse:
    """The completion-probability part of the heatmap page: one forecast per month (cached), so loaded after the page."""
    if not leads_team(request.user):
        return forbidden(request)
    return render(request, "web/insights/heatmap_chances.html", _heatmap_context(request, with_chances=True))


@login_required
def cockpit_radar(request: AuthedRequest) -> HttpResponse:
    if not leads_team(request.user):
        return forbidden(request)
    context = cockpit_context(request)
    cockpit: CockpitFilter = context["cockpit"]
    window = radar.radar_window(cockpit)
    visible = user_list_visible_to(user=request.user).filter(role=Role.REP)
    rep = cockpit.rep
    if rep is not None:
        team_reps = list(visible.filter(team_id=rep.team_id, is_active=True).order_by("name")) if rep.team_id else []
        people = {p.pk: p for p in [*team_reps, rep]}
    else:
        people = {p.pk: p for p in visible.filter(pk__in=cockpit.owner_ids, is_active=True).order_by("team__path", "name")}
    scores = radar.radar_compute(cockpit=cockpit, rep_ids=list(people), today=window.end)
    peers = {pk: axes for pk, axes in scores.items() if rep is None or (people[pk].team_id == rep.team_id and people[pk].is_active)}
    median = radar.radar_median(peers)
    window_query = {"period": "custom", "start": window.start.isoformat(), "end": window.end.isoformat()}
    labels = [str(label) for _key, label in radar.AXES]
    context.update({"window": window, "median": median, "axes": radar.AXES, "rep": rep})
    if rep is not None:
        mine = scores[rep.pk]
        links = {
            "prospecting": drill_url(cockpit, "radar_leads", **window_query),
            "diagnosis": drill_url(cockpit, "radar_stage", axis="diagnosis", **window_query),
            "demo": drill_url(cockpit, "radar_stage", axis="demo", **window_query),
            "negotiation": drill_url(cockpit, "radar_stage", axis="negotiation", **window_query),
            "closing": drill_url(cockpit, "won", **window_query),
            "follow_up": drill_url(cockpit, "radar_assigned", **window_query),
        }
        context["axis_rows"] = [
            {"key": key, "label": label, "axis": mine[key], "median": median[key], "url": links[key]} for key, label in radar.AXES
        ]
        context["lost_url"] = drill_url(cockpit, "lost", **window_query)
        context["open_url"] = drill_url(cockpit, "radar_open", **window_query)
        context["chart"] = {
            "legend": {"bottom": 0, "textStyle": {"color": "#475467"}},
            "tooltip": {"trigger": "item"},
            "radar": {"indicator": [{"name": label, "max": 100} for label in labels], "radius": "62%", "center": ["50%", "48%"],
                      "axisName": {"color": "#475467", "fontSize": 12}, "splitLine": {"lineStyle": {"color": "#e3e7ed"}},
                      "splitArea": {"areaStyle": {"color": ["#fff", "#f8fafc"]}}},
            "series": [{"type": "radar", "symbolSize": 5, "data": [
                {"name": rep.name, "value": [round(mine[k].score or 0, 1) for k, _l in radar.AXES],
                 "itemStyle": {"color": "#1f6feb"}, "areaStyle": {"color": "rgba(31,111,235,.18)"}},
                {"name": _("小组中位数"), "value": [round(median[k] or 0, 1) for k, _l in radar.AXES],
                 "itemStyle": {"color": "#b54708"}, "lineStyle": {"type": "dashed"}},
            ]}],
        }  # fmt: skip
    else:
        context["rep_rows"] = [
            {"person": people[pk], "scores": [axes[key].score for key, _l in radar.AXES],
             "url": reverse("web:cockpit_radar") + "?" + urlencode(cockpit.query(rep=people[pk].external_id))}
            for pk, axes in scores.items()
        ]  # fmt: skip
        context["median_row"] = [median[key] for key, _l in radar.AXES]
    return render(request, "web/insights/radar.html", context)
