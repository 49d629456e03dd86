"""The cockpit pages through the web: who may open them, what they show, and that a drill-down lists exactly the
records behind the number that was clicked."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from types import SimpleNamespace
from urllib.parse import urlencode

import numpy as np
import pytest

from tests.insights.cockpit_world import MARCH, World, build_world
from xiaoguan.insights import heatmap
from xiaoguan.insights.dwell import dwell_compute
from xiaoguan.insights.funnel import funnel_compute
from xiaoguan.targets.models import Target

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(clock) -> World:  # type: ignore[no-untyped-def]
    clock.set("2025-04-10 09:00")
    return build_world()


def _get(client, path: str, **params: str) -> str:  # type: ignore[no-untyped-def]
    response = client.get(path + "?" + urlencode({**MARCH, **params}))
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def _drilled(client, **params: str) -> set[str]:  # type: ignore[no-untyped-def]
    """External ids of the deals a drill-down lists (all pages)."""
    page = _get(client, "/insights/drill/", **params)
    return set(re.findall(r'href="/deals/([^/"]+)/"', page))


def _chart(page: str, chart_id: str) -> dict:  # type: ignore[type-arg]
    found = re.search(rf'<script id="{chart_id}" type="application/json">(.*?)</script>', page, re.S)
    assert found, f"no JSON block {chart_id}"
    return json.loads(found.group(1))


def test_every_cockpit_page_renders_in_chinese_with_its_chart_data(world: World, login) -> None:  # type: ignore[no-untyped-def]
    client = login(world.director)
    home = _get(client, "/insights/")
    assert "驾驶舱" in home and "本期赢单金额" in home and "阶段漏斗" in home
    funnel = _get(client, "/insights/funnel/")
    pipeline_pk = world.deals["D1"].pipeline_id
    chart = _chart(funnel, f"funnel-{pipeline_pk}")
    assert [d["value"] for d in chart["series"][0]["data"]][:3] == [6, 5, 2]
    assert all(d["url"].startswith("/insights/drill/?") for d in chart["series"][0]["data"])
    dwell = _get(client, "/insights/dwell/")
    assert "卡点" in dwell and f'id="dwell-{pipeline_pk}"' in dwell
    assert "目标达成热力图" in _get(client, "/insights/heatmap/")
    radar = _get(client, "/insights/radar/", rep=world.a.external_id)
    assert "销售能力雷达" in radar and "小安" in _chart(radar, "radar-rep")["series"][0]["data"][0]["name"]
    assert "选择一位销售查看雷达图" in _get(client, "/insights/radar/")


def test_a_rep_may_not_open_the_cockpit(world: World, login) -> None:  # type: ignore[no-untyped-def]
    client = login(world.a)
    for path in ("/insights/", "/insights/funnel/", "/insights/dwell/", "/insights/heatmap/", "/insights/radar/", "/insights/drill/"):
        assert client.get(path).status_code == 403


def test_the_manager_never_sees_another_regions_numbers(world: World, login) -> None:  # type: ignore[no-untyped-def]
    client = login(world.manager)
    pipeline_pk = world.deals["D1"].pipeline_id
    # a link naming the north region (not the manager's) falls back to the manager's own scope
    funnel = _get(client, "/insights/funnel/", region=world.north.external_id)
    assert [d["value"] for d in _chart(funnel, f"funnel-{pipeline_pk}")["series"][0]["data"]][:2] == [5, 4]
    assert "华北大区" not in funnel and "小陈" not in funnel
    # the north rep's deals are never listed, even when the link asks for them
    listed = _drilled(client, drill="funnel_reached", stage=str(world.deals["D5"].stage_id), rep=world.c.external_id)
    assert world.deals["D5"].external_id not in listed
    assert world.deals["D1"].external_id in listed  # the rep did not count: the manager's own scope instead
    assert "华北大区" not in _get(client, "/insights/heatmap/")
    assert "小陈" not in _get(client, "/insights/radar/")


def test_a_bad_filter_parameter_falls_back_to_the_default(world: World, login) -> None:  # type: ignore[no-untyped-def]
    client = login(world.director)
    page = _get(client, "/insights/funnel/", period="fortnight", start="not-a-date", pipeline="nope", rep="U-404")
    assert "统计区间：2025-04-01 至 2025-06-30" in page  # this quarter, the default
    reversed_range = _get(client, "/insights/dwell/", start="2025-03-31", end="2025-03-01")
    assert "统计区间：2025-04-01 至 2025-06-30" in reversed_range
    assert client.get("/insights/drill/?drill=no-such-thing").status_code == 404
    assert client.get("/insights/drill/?drill=funnel_reached&stage=abc").status_code == 404


def test_funnel_drill_downs_list_exactly_the_deals_behind_each_number(world: World, login) -> None:  # type: ignore[no-untyped-def]
    client = login(world.director)
    d = {k: v.external_id for k, v in world.deals.items()}
    (funnel,) = funnel_compute(cockpit=world.cockpit(world.director))
    for row in funnel.stages:
        reached = _drilled(client, drill="funnel_reached", stage=str(row.stage.pk))
        went_on = _drilled(client, drill="funnel_went_on", stage=str(row.stage.pk))
        assert (len(reached), len(went_on)) == (row.deals, row.went_on), row.stage.key
    lc = funnel.stages[0].stage.pk
    assert _drilled(client, drill="funnel_reached", stage=str(lc)) == {d["D1"], d["D2"], d["D4"], d["D5"], d["D6"], d["D7"]}
    assert _drilled(client, drill="funnel_went_on", stage=str(lc)) == {d["D1"], d["D2"], d["D5"], d["D6"], d["D7"]}
    nd = funnel.stages[1].stage.pk
    assert _drilled(client, drill="funnel_lost_here", stage=str(nd)) == {d["D2"]}
    assert _drilled(client, drill="won") == {d["D3"], d["D8"]}
    page = _get(client, "/insights/drill/", drill="funnel_reached", stage=str(lc))
    assert "共 6 条" in page and "¥460,000" in page


def test_dwell_drill_downs_list_the_deals_of_the_stays(world: World, login) -> None:  # type: ignore[no-untyped-def]
    client = login(world.director)
    d = {k: v.external_id for k, v in world.deals.items()}
    (pipeline,) = dwell_compute(cockpit=world.cockpit(world.director))
    lc = pipeline.stages[0].stage.pk
    assert _drilled(client, drill="dwell_completed", stage=str(lc)) == {d["D1"], d["D2"], d["D3"], d["D5"], d["D7"]}
    assert _drilled(client, drill="dwell_open", stage=str(lc)) == {d["D4"], d["D6"]}


def test_heatmap_cell_drills_down_to_that_regions_wins(world: World, login) -> None:  # type: ignore[no-untyped-def]
    Target.objects.create(period="2025-03", scope_kind="team", team=world.east, amount=Decimal(400_000))
    Target.objects.create(period="2025-03", scope_kind="user", user=world.c, amount=Decimal(50_000))
    client = login(world.director)
    page = _get(client, "/insights/heatmap/")
    chart = _chart(page, "heat-attainment")
    cells = {tuple(c["value"][:2]): c for c in chart["series"][0]["data"]}
    regions = chart["yAxis"]["data"]
    east = cells[(0, regions.index("华东大区"))]
    assert east["value"][2] == 125
    url = east["url"]
    assert url.startswith("/insights/drill/?")
    listed = set(re.findall(r'href="/deals/([^/"]+)/"', client.get(url).content.decode()))
    assert listed == {world.deals["D3"].external_id}


def test_heatmap_without_targets_explains_why(world: World, login) -> None:  # type: ignore[no-untyped-def]
    page = _get(login(world.director), "/insights/heatmap/")
    assert "还没有目标数据" in page and "heat-attainment" not in page


def test_heatmap_chances_part_shows_the_simulated_probability(world: World, login, clock, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    clock.set("2025-03-15 09:00")
    Target.objects.create(period="2025-03", scope_kind="team", team=world.east, amount=Decimal(400_000))
    samples = np.array([[450_000.0, 0.0], [0.0, 0.0]])
    monkeypatch.setattr(heatmap, "forecast_cached", lambda **kw: SimpleNamespace(rep_pks=[world.a.pk, world.b.pk], samples=samples))
    page = _get(login(world.director), "/insights/heatmap/chances/")
    chart = _chart(page, "heat-probability")
    assert [c["value"][2] for c in chart["series"][0]["data"]] == [50]
    assert "完成概率" in page


def test_empty_pages_explain_themselves(login) -> None:  # type: ignore[no-untyped-def]
    from tests.factories.org import TeamFactory, UserFactory
    from xiaoguan.org.models import Role, Team

    director = UserFactory(role=Role.DIRECTOR, team=TeamFactory(kind=Team.Kind.COMPANY))
    client = login(director)
    assert "本期没有阶段变化" in client.get("/insights/funnel/").content.decode()
    assert "没有可计算的停留" in client.get("/insights/dwell/").content.decode()


def test_the_cockpit_pages_read_in_english(world: World, login) -> None:  # type: ignore[no-untyped-def]
    client = login(world.director)

    def english(path: str, **params: str) -> str:
        response = client.get(path + "?" + urlencode({**MARCH, **params}), HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200
        return response.content.decode()

    home = english("/insights/")
    assert "Won in the period" in home and "Stage funnel" in home and "Period: 2025-03-01 to 2025-03-31" in home
    funnel = english("/insights/funnel/")
    assert "Went on" in funnel and "Lost here" in funnel and "继续推进" not in funnel
    dwell = english("/insights/dwell/")
    assert "Bottleneck" in dwell and "Stays ended in the period" in dwell
    assert "No targets yet" in english("/insights/heatmap/")
    radar = english("/insights/radar/", rep=world.a.external_id)
    assert "How each axis is computed" in radar and "Follow-up discipline" in radar
    drill = english("/insights/drill/", drill="won")
    assert "Won in the period" in drill and "2 records" in drill
