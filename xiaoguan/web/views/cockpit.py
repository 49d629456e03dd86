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
from xiaoguan.insights import overview  # registers the headline figures' drill-downs
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
]


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
        "product_lines": product_lines(),
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
