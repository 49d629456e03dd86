"""Which sales region a city belongs to: by the region teams' names, learned from records, set by an admin."""

from __future__ import annotations

import csv
from collections import Counter

import pytest

from tests.factories.org import UserFactory
from tests.factories.sales import AccountFactory, LeadFactory
from tests.geo.conftest import WORLD_SMALL
from xiaoguan.core.errors import ValidationFailedError
from xiaoguan.geo.models import City, ProvinceRegion, RegionOrigin
from xiaoguan.geo.selectors import Observation, city_region_observations, city_resolve, region_for_city
from xiaoguan.geo.services import regions_learn, regions_save
from xiaoguan.org.models import Team

pytestmark = pytest.mark.django_db


def test_no_region_teams_no_region():
    assert region_for_city("苏州") is None


def test_keywords_in_team_names_map_provinces(regions):
    assert region_for_city("苏州") == regions["R-EAST"].pk
    assert region_for_city("广东省深圳市") == regions["R-SOUTH"].pk
    assert region_for_city("成都") == regions["R-SW"].pk
    assert region_for_city("武汉") == regions["R-CENTRAL"].pk
    assert region_for_city("兰州") == regions["R-NW"].pk
    assert region_for_city("石家庄") == regions["R-NORTH"].pk
    city = city_resolve("苏州")
    assert city is not None and city.region_source == "keyword"


def test_a_province_without_a_matching_team_takes_the_nearest_provinces_region(regions):
    # given no 东北 team: 辽宁, 吉林, 黑龙江 go to the region of the nearest province that has one (华北)
    city = city_resolve("沈阳")
    assert city is not None
    assert (city.region_id, city.region_source) == (regions["R-NORTH"].pk, "nearest")
    assert region_for_city("哈尔滨") == regions["R-NORTH"].pk


def test_province_only_text_gives_the_provinces_region(regions):
    assert region_for_city("江苏省") == regions["R-EAST"].pk
    assert region_for_city("火星") is None


def world_small_observations() -> list[Observation]:
    counts: Counter[tuple[str, str]] = Counter()
    for name in ("leads", "accounts"):
        with (WORLD_SMALL / f"{name}.csv").open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                if row["city"] and row["region"]:
                    counts[(row["city"], row["region"])] += 1
    teams = dict(Team.objects.filter(kind=Team.Kind.REGION).values_list("external_id", "id"))
    return [Observation(city_text=city, region_id=teams[code], count=n) for (city, code), n in counts.items()]


@pytest.mark.skipif(not WORLD_SMALL.exists(), reason="shared/samples not beside the repository")
def test_learning_from_world_small_puts_nanchang_in_central(regions):
    # given keyword defaults: 江西 and 福建 are 华东 by the customary map
    assert region_for_city("南昌") == regions["R-EAST"].pk
    assert region_for_city("厦门") == regions["R-EAST"].pk
    # when the regions are learned from the sample's leads and accounts
    report = regions_learn(observations=world_small_observations())
    # then 江西 follows its records (南昌 → 华中) and so does 福建 (厦门 → 华南)
    assert region_for_city("南昌") == regions["R-CENTRAL"].pk
    assert region_for_city("九江") == regions["R-CENTRAL"].pk  # a city without records inherits its province
    assert region_for_city("厦门") == regions["R-SOUTH"].pk
    assert ProvinceRegion.objects.get(name="江西省").region_origin == RegionOrigin.LEARNED
    assert "江西省" in report.provinces_set and not report.unresolved
    # and every sample city now maps to the region its records carry
    for observation in world_small_observations():
        assert region_for_city(observation.city_text) == observation.region_id, observation.city_text


def test_a_city_that_disagrees_with_its_province_gets_its_own_region(regions):
    east, central = regions["R-EAST"].pk, regions["R-CENTRAL"].pk
    report = regions_learn(observations=[
        Observation("南京", east, 50), Observation("杭州", east, 40), Observation("徐州", central, 9), Observation("徐州", east, 1),
    ])
    assert region_for_city("徐州") == central
    assert region_for_city("南京") == east
    assert report.cities_set == ["徐州市"]
    # running it again changes nothing
    again = regions_learn(observations=[Observation("南京", east, 50), Observation("徐州", central, 9), Observation("徐州", east, 1)])
    assert again.cities_set == [] and again.provinces_set == []


def test_too_few_or_split_records_teach_nothing(regions):
    east, central = regions["R-EAST"].pk, regions["R-CENTRAL"].pk
    regions_learn(observations=[Observation("南昌", central, 2), Observation("合肥", central, 5), Observation("合肥", east, 5)])
    assert ProvinceRegion.objects.get(name="江西省").region_id is None
    assert ProvinceRegion.objects.get(name="安徽省").region_id is None


def test_learning_never_overrides_the_admin(regions):
    east, central, south = regions["R-EAST"].pk, regions["R-CENTRAL"].pk, regions["R-SOUTH"].pk
    jiangxi = ProvinceRegion.objects.get(name="江西省")
    xiamen = City.objects.get(short_name="厦门")
    regions_save(provinces={jiangxi.pk: east}, cities={xiamen.pk: south})
    report = regions_learn(observations=[Observation("南昌", central, 30), Observation("厦门", east, 30)])
    assert region_for_city("南昌") == east
    assert region_for_city("厦门") == south
    assert report.kept_admin == 3  # 江西, 南昌 (in the admin's 江西) and 厦门


def test_admin_clears_back_to_the_default(regions):
    fujian = ProvinceRegion.objects.get(name="福建省")
    regions_save(provinces={fujian.pk: regions["R-SOUTH"].pk}, cities={})
    assert region_for_city("福州") == regions["R-SOUTH"].pk
    assert regions_save(provinces={fujian.pk: None}, cities={}) == 1
    fujian.refresh_from_db()
    assert fujian.region_origin == RegionOrigin.NONE
    assert region_for_city("福州") == regions["R-EAST"].pk


def test_only_region_teams_can_be_chosen(regions):
    team = Team.objects.create(name="深圳组", kind=Team.Kind.TEAM, parent=regions["R-SOUTH"])
    with pytest.raises(ValidationFailedError):
        regions_save(provinces={ProvinceRegion.objects.get(name="广东省").pk: team.pk}, cities={})


def test_observations_come_from_leads_and_accounts(regions):
    central = regions["R-CENTRAL"]
    owner = UserFactory(team=central)
    for _ in range(3):
        LeadFactory(owner=owner, city="南昌", region=central)
    AccountFactory(owner=owner, city="南昌市", region=central)
    LeadFactory(owner=owner, city="", region=central)
    observed = {(o.city_text, o.region_id): o.count for o in city_region_observations()}
    assert observed[("南昌", central.pk)] == 3
    assert observed[("南昌市", central.pk)] == 1
    regions_learn()
    assert region_for_city("赣州") == central.pk


def test_a_new_region_team_is_seen_at_once(regions):
    assert region_for_city("沈阳") == regions["R-NORTH"].pk
    northeast = Team.objects.create(name="东北大区", kind=Team.Kind.REGION, parent=regions["R-NORTH"].parent)
    assert region_for_city("沈阳") == northeast.pk


def test_command_learns_and_prints_json(regions):
    import json
    from io import StringIO

    from django.core.management import call_command

    central = regions["R-CENTRAL"]
    owner = UserFactory(team=central)
    for _ in range(3):
        LeadFactory(owner=owner, city="南昌", region=central)
    LeadFactory(owner=owner, city="火星基地", region=central)
    out = StringIO()
    call_command("geo_regions_learn", stdout=out)
    summary = json.loads(out.getvalue())
    assert summary["provinces_set"] == ["江西省"] and summary["unresolved"] == {"火星基地": 1} and summary["records"] == 4
