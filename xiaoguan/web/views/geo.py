"""城市与大区: the bundled cities grouped by province, the region of each province and per-city overrides, and
"从现有数据推断" (learn from existing leads and accounts). Admins only."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from xiaoguan.core.errors import DomainError
from xiaoguan.geo.selectors import city_info_list, province_info_list, province_list_with_cities, region_team_list
from xiaoguan.geo.services import regions_learn, regions_save
from xiaoguan.web.views.common import AuthedRequest, forbidden, is_admin

UNRESOLVED_SHOWN = 20


def _choice(raw: str | None) -> int | None:
    try:
        return int(raw) if raw else None
    except ValueError:
        return None


@login_required
@require_http_methods(["GET", "POST"])
def cities(request: AuthedRequest) -> HttpResponse:
    """GET: provinces with their cities and the region each resolves to now. POST: save the selects (only changes)."""
    if not is_admin(request.user):
        return forbidden(request)
    provinces = list(province_list_with_cities())
    if request.method == "POST":
        # Selects are named province-<id> / city-<id>; a missing one is left as it is.
        province_choices = {p.pk: _choice(request.POST.get(f"province-{p.pk}")) for p in provinces if f"province-{p.pk}" in request.POST}
        city_choices = {
            c.pk: _choice(request.POST.get(f"city-{c.pk}")) for p in provinces for c in p.cities.all() if f"city-{c.pk}" in request.POST
        }
        try:
            changed = regions_save(provinces=province_choices, cities=city_choices)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已保存：%(n)s 处改动。") % {"n": changed})
        return redirect("web:geo_cities")
    regions = list(region_team_list())
    names = {r.pk: r.name for r in regions}
    city_region = {c.id: c.region_id for c in city_info_list()}
    province_region = {p.id: p.region_id for p in province_info_list()}
    sections: list[dict[str, Any]] = [
        {
            "province": p,
            "region_name": names.get(province_region.get(p.pk) or 0, ""),
            "cities": [{"city": c, "region_name": names.get(city_region.get(c.pk) or 0, "")} for c in p.cities.all()],
        }
        for p in provinces
    ]
    return render(request, "web/geo/cities.html", {
        "sections": sections, "regions": regions, "city_count": sum(len(s["cities"]) for s in sections),
    })


@login_required
@require_POST
def cities_learn(request: AuthedRequest) -> HttpResponse:
    """从现有数据推断: the most common region of each province's and city's leads and accounts."""
    if not is_admin(request.user):
        return forbidden(request)
    report = regions_learn()
    messages.success(request, _(
        "已根据 %(records)s 条线索和客户推断：%(provinces)s 个省份、%(cities)s 个城市更新，%(kept)s 处管理员设置保持不变。"
    ) % {"records": report.records, "provinces": len(report.provinces_set), "cities": len(report.cities_set), "kept": report.kept_admin})
    if report.unresolved:
        shown = "、".join(f"{text}（{n}）" for text, n in report.unresolved.most_common(UNRESOLVED_SHOWN))
        messages.warning(request, _("无法识别的城市写法：%(texts)s") % {"texts": shown})
    return redirect("web:geo_cities")
