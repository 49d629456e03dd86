"""驾驶舱 pages of the diagnostics: behaviour vs conversion, process health, customer health, opportunity efficiency.

Thin: parse the cockpit filter (web/views/cockpit.py: cockpit_context), call the insights read, shape rows and the
ECharts option (a JSON block cockpit.js draws; every clickable item carries the drill-down `url`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from xiaoguan.activities.models import Activity
from xiaoguan.core.clock import clock_now
from xiaoguan.customers.selectors import account_list_visible_to
from xiaoguan.engagement.models import TouchEvent
from xiaoguan.insights import account_health, behaviour, efficiency, health
from xiaoguan.insights.filters import CockpitFilter
from xiaoguan.web.views.cockpit import cockpit_context, drill_url
from xiaoguan.web.views.common import AuthedRequest, forbidden, leads_team, page_number

BAND_COLOURS = {"green": "#1a9b6c", "amber": "#d9822b", "red": "#d64545", "none": "#b8c0cc"}


def _scoped(cockpit: CockpitFilter, level: str, key: str) -> dict[str, str]:
    """The filter narrowed to one row of a per-region/team/rep table (what its drill-down links carry)."""
    return {level: key} if level in ("region", "team", "rep") and key else {}


def _page_url(name: str, cockpit: CockpitFilter, **params: str) -> str:
    query = cockpit.query(**params)
    return reverse(name) + (f"?{urlencode(query)}" if query else "")


# ------------------------------------------------------------------------------------------------ behaviour


@login_required
def cockpit_behaviour(request: AuthedRequest) -> HttpResponse:
    if not leads_team(request.user):
        return forbidden(request)
    context = cockpit_context(request)
    cockpit: CockpitFilter = context["cockpit"]
    choices = behaviour.reach_choices()
    reached = request.GET.get("reached", "")
    if reached not in {key for key, _name in choices}:
        reached = ""
    table = behaviour.behaviour_table(f=cockpit, now=clock_now(), reached=reached)

    def links(code: str) -> dict[str, str]:
        extra = {"reached": reached} if reached else {}
        return {
            "all": drill_url(cockpit, "behaviour", behaviour=code, **extra),
            "won": drill_url(cockpit, "behaviour", behaviour=code, outcome="won", **extra),
            "lost": drill_url(cockpit, "behaviour", behaviour=code, outcome="lost", **extra),
        }

    rows = [{"row": r, "links": links(r.code)} for r in table.rows]
    hidden = [{"row": r, "links": links(r.code)} for r in table.hidden]
    none = {"row": table.none, "links": links(behaviour.NONE_CODE)} if table.none is not None else None
    shown = [*table.rows, *([table.none] if table.none is not None else [])]
    labels = [r.label for r in reversed(shown)]
    chart: dict[str, Any] = {
        "grid": {"left": 8, "right": 24, "top": 28, "bottom": 8, "containLabel": True},
        "legend": {"top": 0, "data": [_("赢率"), _("95% 区间")]},
        "tooltip": {"trigger": "item"},
        "xAxis": {"type": "value", "min": 0, "max": 100, "axisLabel": {"formatter": "{value}%"}},
        "yAxis": {"type": "category", "data": labels, "axisLabel": {"width": 110, "overflow": "truncate"}},
        "series": [
            {"name": "base", "type": "bar", "stack": "ci", "silent": True, "itemStyle": {"color": "transparent"},
             "data": [round(100 * r.low, 1) for r in reversed(shown)], "tooltip": {"show": False}},
            {"name": _("95% 区间"), "type": "bar", "stack": "ci", "barWidth": 10, "itemStyle": {"color": "#c9dbf8"},
             "data": [{"value": round(100 * (r.high - r.low), 1), "url": links(r.code)["all"]} for r in reversed(shown)],
             "tooltip": {"formatter": _("{b}：95% 区间宽 {c} 个百分点")}},
            {"name": _("赢率"), "type": "scatter", "symbolSize": 12, "itemStyle": {"color": "#1f6feb"},
             "data": [{"value": [round(100 * r.rate, 1), len(shown) - 1 - i], "url": links(r.code)["all"]} for i, r in enumerate(shown)],
             "tooltip": {"formatter": _("{b}赢率 {c}%")},
             "markLine": {"silent": True, "symbol": "none", "lineStyle": {"type": "dashed", "color": "#6b7785"},
                          "data": [{"xAxis": round(100 * (table.rate or 0), 1), "name": _("总体")}],
                          "label": {"show": False}}},
        ],
    }  # fmt: skip
    context.update({
        "table": table, "rows": rows, "none": none, "hidden": hidden, "reach_keep": [("reached", reached)] if reached else [],
        "chart": chart, "chart_height": 60 + 34 * len(shown),
        "reach_choices": choices, "reached": reached, "rules": _rule_texts(),
        "all_links": links(behaviour.ALL_CODE),
        "keep": [(k, v) for k, v in cockpit.query().items()],
    })  # fmt: skip
    return render(request, "web/insights/behaviour.html", context)


def _rule_texts() -> list[dict[str, str]]:
    """The detection rules as the page states them (the words as the table has them; @code = a keyword dictionary)."""
    kinds, touches = dict(Activity.Kind.choices), dict(TouchEvent.Kind.choices)
    out = []
    for rule in behaviour.BEHAVIOURS:
        parts = []
        if rule.words:
            groups = [
                "、".join(_("关键词词典“%(code)s”") % {"code": w[1:]} if w.startswith("@") else w for w in group) for group in rule.words
            ]
            parts.append(_("跟进记录内容同时包含：") + " ＋ ".join(f"（{g}）" for g in groups) if len(groups) > 1 else _("跟进记录内容包含：") + groups[0])
        if rule.kinds:
            parts.append(_("跟进方式为：") + "、".join(str(kinds.get(k, k)) for k in rule.kinds))
        if rule.touch_kinds:
            docs = "、".join(rule.documents) if rule.documents else _("任何资料")
            parts.append(_("客户触点：%(docs)s %(kinds)s") % {"docs": docs, "kinds": "/".join(str(touches.get(k, k)) for k in rule.touch_kinds)})
        out.append({"label": _(rule.label), "rule": _("；或 ").join(parts)})
    return out


# ------------------------------------------------------------------------------------------------ process health


def _health_links(cockpit: CockpitFilter, level: str, key: str) -> dict[str, str]:
    scope = _scoped(cockpit, level, key)
    customers = _page_url("web:cockpit_customers", cockpit, few_channels="1", **scope)
    return {
        "first_response": drill_url(cockpit, "health_leads", line="first_response", **scope),
        "contacted_72h": drill_url(cockpit, "health_leads", line="contacted_72h", **scope),
        "channels": customers,
        "concrete": drill_url(cockpit, "health_concrete", **scope),
        "valid_leads": drill_url(cockpit, "health_intake", **scope),
    }


def _display(threshold: health.Threshold, value: float | None) -> str:
    if value is None:
        return "—"
    if threshold.unit == "minutes":
        return _("%(m)s 分钟") % {"m": round(value)} if value < 120 else _("%(h).1f 小时") % {"h": value / 60}
    if threshold.unit == "share":
        return f"{value:.0%}"
    return f"{value:.1f}"


def _target_text(threshold: health.Threshold) -> str:
    sign = "≤" if threshold.at_most else "≥"
    return f"{sign} {_display(threshold, threshold.target)}"


@login_required
def cockpit_health(request: AuthedRequest) -> HttpResponse:
    if not leads_team(request.user):
        return forbidden(request)
    context = cockpit_context(request)
    cockpit: CockpitFilter = context["cockpit"]
    report = health.process_health(f=cockpit, now=clock_now())
    thresholds = report.thresholds
    rows: list[dict[str, Any]] = []
    for row in report.rows:
        links = _health_links(cockpit, row.level, row.key)
        cells = [
            {"threshold": t, "figure": row.figures[t.code], "url": links[t.code],
             "text": _display(t, row.figures[t.code].value) if row.figures[t.code].value is not None else _("过半未联系")}
            for t in thresholds
        ]  # fmt: skip
        rows.append({"row": row, "cells": cells})
    groups = [r for r in rows if r["row"].level in ("all", "region")] or rows[:1]
    band_codes = {"red": 0, "amber": 1, "green": 2, "none": 3}
    chart: dict[str, Any] = {
        "grid": {"left": 8, "right": 8, "top": 8, "bottom": 8, "containLabel": True},
        "tooltip": {"trigger": "item", "formatter": "{b}"},
        "xAxis": {"type": "category", "data": [_(t.short) for t in thresholds], "position": "top", "splitArea": {"show": True},
                  "axisLabel": {"interval": 0}},
        "yAxis": {"type": "category", "data": [g["row"].label for g in groups], "inverse": True, "splitArea": {"show": True}},
        "visualMap": {"show": False, "type": "piecewise", "dimension": 2, "pieces": [
            {"value": code, "color": BAND_COLOURS[band]} for band, code in band_codes.items()
        ]},
        "series": [{
            "type": "heatmap", "label": {"show": True, "color": "#fff", "fontWeight": 600},
            "itemStyle": {"borderColor": "#fff", "borderWidth": 3},
            "data": [
                {"value": [x, y, band_codes[cell["figure"].band]], "name": f'{g["row"].label} · {_(cell["threshold"].label)}：{cell["figure"].detail}',
                 "label": {"formatter": cell["text"]}, **({"url": cell["url"]} if cell["figure"].band != "none" else {})}
                for y, g in enumerate(groups) for x, cell in enumerate(g["cells"])
            ],
        }],
    }  # fmt: skip
    context.update({
        "report": report, "rows": rows, "thresholds": [{"t": t, "target": _target_text(t), "rule": _(t.rule)} for t in thresholds], "chart": chart,
        "chart_height": 48 + 44 * len(groups),
        "concrete_patterns": [(_(label), pattern) for label, pattern in health.CONCRETE_PATTERNS],
        "filler": health.FILLER_EXAMPLES, "channels": [_(c) for c in health.CHANNELS],
    })  # fmt: skip
    return render(request, "web/insights/health.html", context)


# ------------------------------------------------------------------------------------------------ customer health

PAGE = 50


@login_required
def cockpit_customers(request: AuthedRequest) -> HttpResponse:
    if not leads_team(request.user):
        return forbidden(request)
    context = cockpit_context(request)
    cockpit: CockpitFilter = context["cockpit"]
    now = clock_now()
    everyone = request.GET.get("scope") == "all"
    few_channels = request.GET.get("few_channels") == "1"
    band = _band_param(request.GET.get("band", ""))
    number = page_number(request)
    channels: dict[int, int] = {}
    account_ids: set[int] | None = None
    if few_channels:
        found = health.offending_accounts(people=frozenset(cockpit.owner_ids), f=cockpit, now=now)
        channels = health.account_channels(accounts=[a for a, _n in found], f=cockpit, now=now)
        account_ids = set(channels)
        everyone = True  # every customer with an open deal, whatever the health list's default scope
    listing = account_health.account_health_list(
        f=cockpit, now=now, everyone=everyone, account_ids=account_ids, band=band, offset=(number - 1) * PAGE, limit=PAGE + 1
    )
    shown = listing.rows[:PAGE]
    # The accounts through the one visibility rule: a row never shows a customer the viewer may not open.
    accounts = account_list_visible_to(user=request.user).select_related("owner").in_bulk([r.account_pk for r in shown])
    parts = account_health.health_parts()
    rows = [
        {
            "health": r, "account": accounts[r.account_pk], "band": _index_band(r.index),
            "parts": [(label, r.parts[code]) for code, label, _w in parts if code in listing.parts_used],
            "channels": health.channel_names(channels[r.account_pk]) if r.account_pk in channels else None,
        }
        for r in shown if r.account_pk in accounts
    ]  # fmt: skip
    base = {k: v for k, v in request.GET.items() if k not in ("page", "band")}
    colours = [BAND_COLOURS[_index_band(b + 5)] for b in account_health.BANDS]
    chart: dict[str, Any] = {
        "grid": {"left": 8, "right": 8, "top": 16, "bottom": 8, "containLabel": True},
        "tooltip": {"trigger": "item", "formatter": _("健康度 {b}：{c} 个客户")},
        "xAxis": {"type": "category", "data": [f"{b}–{b + 10}" for b in account_health.BANDS]},
        "yAxis": {"type": "value", "minInterval": 1},
        "series": [{
            "type": "bar", "barWidth": "70%",
            "data": [
                {"value": n, "url": "?" + urlencode({**base, "band": str(b)}), "itemStyle": {"color": colours[i]}}
                for i, (b, n) in enumerate(zip(account_health.BANDS, listing.histogram, strict=True))
            ],
        }],
    }  # fmt: skip
    query = urlencode({k: v for k, v in request.GET.items() if k != "page"})
    context.update({
        "listing": listing, "rows": rows, "chart": chart, "band": band, "everyone": everyone, "few_channels": few_channels,
        "parts": [(label, weight) for code, label, weight in parts if code in listing.parts_used],
        "all_parts": parts,
        "number": number, "has_next": len(listing.rows) > PAGE, "query": query,
        "first_index": (number - 1) * PAGE + 1, "last_index": (number - 1) * PAGE + len(rows),
        "scope_urls": {"active": "?" + urlencode({k: v for k, v in base.items() if k != "scope"}), "all": "?" + urlencode({**base, "scope": "all"})},
        "clear_band_url": "?" + urlencode(base),
        "weak": account_health.WEAK,
    })  # fmt: skip
    return render(request, "web/insights/customers.html", context)


def _band_param(value: str) -> int | None:
    """A bin of the distribution (0, 10, … 90), or None."""
    try:
        band = int(value)
    except ValueError:
        return None
    return band if 0 <= band <= 90 and band % 10 == 0 else None


def _index_band(value: float) -> str:
    return "red" if value < 40 else "amber" if value < 70 else "green"


# ------------------------------------------------------------------------------------------------ efficiency


@login_required
def cockpit_efficiency(request: AuthedRequest) -> HttpResponse:
    if not leads_team(request.user):
        return forbidden(request)
    context = cockpit_context(request)
    cockpit: CockpitFilter = context["cockpit"]
    report = efficiency.efficiency_report(f=cockpit, now=clock_now())

    def links(level: str, key: str) -> dict[str, str]:
        scope = _scoped(cockpit, level, key)
        return {
            "advances": drill_url(cockpit, "efficiency_advances", **scope),
            "visits": drill_url(cockpit, "efficiency_visits", **scope),
            "flagged": drill_url(cockpit, "efficiency_visits", flagged="1", **scope),
        }

    rows = [{"row": r, "links": links(r.level, r.key)} for r in report.rows]
    regions = [r for r in report.rows if r.level == "region"] or [r for r in report.rows if r.level == "rep"]
    chart: dict[str, Any] = {
        "grid": {"left": 8, "right": 8, "top": 40, "bottom": 8, "containLabel": True},
        "legend": {"top": 0},
        "tooltip": {"trigger": "item", "formatter": "{a}<br>{b}：{c}"},
        "xAxis": {"type": "category", "data": [r.label for r in regions], "axisLabel": {"interval": 0, "rotate": 30 if len(regions) > 6 else 0}},
        "yAxis": [{"type": "value", "name": _("次数"), "minInterval": 1}, {"type": "value", "name": _("比值"), "min": 0}],
        "series": [
            {"name": _("阶段推进"), "type": "bar", "itemStyle": {"color": "#1f6feb"},
             "data": [{"value": r.advances, "url": links(r.level, r.key)["advances"]} for r in regions]},
            {"name": _("有效拜访"), "type": "bar", "itemStyle": {"color": "#9db9e8"},
             "data": [{"value": r.effective, "url": links(r.level, r.key)["visits"]} for r in regions]},
            {"name": _("每次有效拜访的推进"), "type": "line", "yAxisIndex": 1, "itemStyle": {"color": "#d9822b"},
             "data": [None if r.ratio is None else round(r.ratio, 2) for r in regions]},
        ],
    }  # fmt: skip
    context.update({"report": report, "rows": rows, "chart": chart, "visit_kinds": _visit_kind_names()})
    return render(request, "web/insights/efficiency.html", context)


def _visit_kind_names() -> str:
    kinds = dict(Activity.Kind.choices)
    return "、".join(str(kinds[k]) for k in efficiency.VISIT_KINDS)
