"""Free text to a bundled city: names, short names, addresses, aliases, pinyin; never a guess on ambiguity."""

from __future__ import annotations

import csv

import pytest

from xiaoguan.geo.models import City, ProvinceRegion
from xiaoguan.geo.selectors import city_resolve, province_resolve

pytestmark = pytest.mark.django_db


def test_the_migration_loaded_every_prefecture_and_municipality():
    assert City.objects.filter(kind=City.Kind.PREFECTURE).count() == 333
    assert set(City.objects.filter(kind=City.Kind.MUNICIPALITY).values_list("short_name", flat=True)) == {"北京", "天津", "上海", "重庆"}
    assert ProvinceRegion.objects.count() == 33  # 31 provinces + Hong Kong and Macao (Taiwan has no city rows)


@pytest.mark.parametrize("text", ["苏州", "苏州市", "江苏省苏州市工业园区", "江苏苏州", " 苏州 ", "苏州工业园区", "中国江苏省苏州市", "昆山", "昆山市"])
def test_suzhou_in_its_many_spellings(text):
    city = city_resolve(text)
    assert city is not None
    assert (city.name, city.short_name, city.province, city.adcode) == ("苏州市", "苏州", "江苏省", "320500")


def test_coordinates_are_wgs84():
    # Beijing's city centre (Tiananmen) in WGS84 is about 39.905 N, 116.391 E; GCJ-02 would be ~0.006° further east.
    beijing = city_resolve("北京")
    assert beijing is not None
    assert abs(beijing.lat - 39.905) < 0.01 and abs(beijing.lng - 116.40) < 0.015
    shanghai = city_resolve("上海")
    assert shanghai is not None and 30.9 < shanghai.lat < 31.4 and 121.2 < shanghai.lng < 121.7


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("上海市浦东新区张江路", "上海市"),
        ("北京市朝阳区", "北京市"),
        ("重庆市渝中区", "重庆市"),
        ("广东省深圳市南山区", "深圳市"),
        ("延边朝鲜族自治州", "延边朝鲜族自治州"),
        ("延边", "延边朝鲜族自治州"),
        ("恩施州", "恩施土家族苗族自治州"),
        ("内蒙古呼和浩特", "呼和浩特市"),
        ("新疆维吾尔自治区乌鲁木齐市", "乌鲁木齐市"),
        ("仙桃", "仙桃市"),
        ("吉林", "吉林市"),
        ("吉林省长春市", "长春市"),
        ("香港", "香港"),
        ("襄樊", "襄阳市"),
        ("莱芜", "济南市"),
        ("义乌", "金华市"),
        ("Beijing", "北京市"),
        ("SHANGHAI", "上海市"),
        ("Hong Kong", "香港"),
        ("ｓｈｅｎｚｈｅｎ", "深圳市"),
        ("苏州", "苏州市"),
        ("宿州", "宿州市"),
    ],
)
def test_resolves(text, name):
    city = city_resolve(text)
    assert city is not None and city.name == name


@pytest.mark.parametrize("text", ["", "   ", "Suzhou", "taizhou", "海南", "江苏省", "不知道", "火星", "市", "😀" * 5, "x" * 10_000])
def test_unknown_or_ambiguous_gives_none(text):
    assert city_resolve(text) is None


def test_province_only_text_still_names_its_province():
    province = province_resolve("江苏省")
    assert province is not None and province.name == "江苏省"
    hainan = province_resolve("海南")
    assert hainan is not None and hainan.name == "海南省"


def test_every_bundled_city_resolves_to_itself_by_name_and_short_name():
    from xiaoguan.geo.cache import DATA

    with (DATA / "cities.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 364
    for row in rows:
        by_name = city_resolve(row["name"])
        assert by_name is not None and by_name.adcode == row["adcode"], row["name"]
        if row["short"] not in ("海南",):  # 海南 alone is the province
            by_short = city_resolve(row["short"])
            assert by_short is not None and by_short.adcode == row["adcode"], row["short"]


def test_city_resolve_is_fast_after_warm_up():
    import time

    texts = ["苏州", "江苏省苏州市工业园区", "上海市浦东新区", "Beijing", "不知道"] * 2000
    for text in texts[:5]:
        city_resolve(text)
    began = time.perf_counter()
    for text in texts:
        city_resolve(text)
    per_call = (time.perf_counter() - began) / len(texts)
    assert per_call < 20e-6, f"{per_call * 1e6:.2f} µs per call"


def test_emptied_tables_fall_back_to_the_bundled_file():
    # a flushed database (TransactionTestCase, a botched restore) must not make every city unknown
    from xiaoguan.geo.cache import geo_cache_clear

    City.objects.all().delete()
    ProvinceRegion.objects.all().delete()
    geo_cache_clear()
    city = city_resolve("江苏省苏州市工业园区")
    assert city is not None and (city.name, city.province, city.id) == ("苏州市", "江苏省", 320500)
