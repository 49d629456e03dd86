"""The in-memory city index that `city_resolve` reads: names, aliases, provinces and each city's effective region.

Built once per process from the City/ProvinceRegion tables, the bundled aliases and the region teams; dropped on
edits in this process (signals) and re-checked against a cheap stamp every CHECK_EVERY seconds for edits made by
another process. Resolved texts are memoised, so a repeated "苏州市" costs one dictionary lookup.
"""

from __future__ import annotations

import csv
import math
import threading
import time as monotonic_time
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from django.db.models import Count, Max

CHECK_EVERY = 10.0
MEMO_LIMIT = 50_000
DATA = Path(__file__).resolve().parent / "data"

# The customary seven regions of China, matched against the names of the region teams (华东大区, 华南区 …).
REGION_KEYWORDS: dict[str, tuple[str, ...]] = {
    "华北": ("北京", "天津", "河北", "山西", "内蒙古"),
    "东北": ("辽宁", "吉林", "黑龙江"),
    "华东": ("上海", "江苏", "浙江", "安徽", "福建", "江西", "山东", "台湾"),
    "华中": ("河南", "湖北", "湖南"),
    "华南": ("广东", "广西", "海南", "香港", "澳门"),
    "西南": ("重庆", "四川", "贵州", "云南", "西藏"),
    "西北": ("陕西", "甘肃", "青海", "宁夏", "新疆"),
}
# English and romanised names people type that pinyin of the short name does not give.
EXTRA_LATIN = {"hongkong": "香港", "macau": "澳门", "macao": "澳门", "peking": "北京", "canton": "广州"}
COUNTRY_PREFIXES = ("中华人民共和国", "中国", "中國")


@dataclass(frozen=True, slots=True)
class CityInfo:
    """A resolved city: what routing rules and pages need, no database row."""

    id: int
    adcode: str
    name: str
    short_name: str
    province: str  # full name: 江苏省
    province_short: str  # 江苏
    lat: float
    lng: float
    region_id: int | None
    # Why this region: "city" (set on the city), "province", "keyword" (a region team's name), "nearest" or "".
    region_source: str


@dataclass(frozen=True, slots=True)
class ProvinceInfo:
    id: int
    name: str
    short_name: str
    region_id: int | None
    region_source: str
    municipality_city_id: int | None  # 北京/上海/天津/重庆/香港/澳门: the province is also the city


@dataclass(slots=True)
class Index:
    stamp: tuple[object, ...]
    cities: dict[int, CityInfo]
    provinces: dict[int, ProvinceInfo]
    names: dict[str, int]  # full names, short names, unique aliases, unique pinyin -> city id
    city_province: dict[int, int]
    province_names: dict[str, int]  # full and short province names -> province id
    max_name: int
    max_province_name: int
    memo: dict[str, int | None] = field(default_factory=dict)


@cache
def bundled_aliases() -> dict[str, str]:
    """alias -> adcode, from data/aliases.csv (districts, counties and county-level cities unique nationwide)."""
    with (DATA / "aliases.csv").open(encoding="utf-8") as handle:
        return {row["alias"]: row["adcode"] for row in csv.DictReader(handle)}


def normalize(text: str) -> str:
    """Full-width to half-width, no spaces, no country prefix, Latin lower-cased."""
    text = unicodedata.normalize("NFKC", text).strip()
    text = "".join(text.split()).lower().replace("'", "").replace("-", "")
    for prefix in COUNTRY_PREFIXES:
        if text.startswith(prefix) and len(text) > len(prefix):
            text = text[len(prefix) :]
            break
    return text


def _stamp() -> tuple[object, ...]:
    from xiaoguan.geo.models import City, ProvinceRegion
    from xiaoguan.org.models import Team

    cities = City.objects.aggregate(n=Count("id"), at=Max("updated_at"))
    provinces = ProvinceRegion.objects.aggregate(n=Count("id"), at=Max("updated_at"))
    teams = Team.objects.filter(kind=Team.Kind.REGION).aggregate(n=Count("id"), top=Max("id"))
    return (cities["n"], cities["at"], provinces["n"], provinces["at"], teams["n"], teams["top"])


def keyword_regions(regions: list[tuple[int, str]]) -> dict[str, int]:
    """Province short name -> region team id, by the customary region keywords in the teams' names."""
    by_keyword: dict[str, int] = {}
    for team_id, name in sorted(regions):
        for keyword in REGION_KEYWORDS:
            if keyword in name:
                by_keyword.setdefault(keyword, team_id)
    mapping: dict[str, int] = {}
    for keyword, provinces in REGION_KEYWORDS.items():
        if keyword in by_keyword:
            for province in provinces:
                mapping[province] = by_keyword[keyword]
    # A team named after a province itself ("广东大区", "江浙沪区" names none; "山东区" does) wins for that province.
    for team_id, name in sorted(regions):
        for provinces in REGION_KEYWORDS.values():
            for province in provinces:
                if province in name:
                    mapping[province] = team_id
    return mapping


@cache
def _bundled_file() -> list[dict[str, str]]:
    with (DATA / "cities.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _bundled_rows() -> tuple[list[Any], list[Any]]:
    cities: list[Any] = []
    provinces: dict[str, tuple[int, str, str, None]] = {}
    for row in _bundled_file():
        province = provinces.setdefault(row["province"], (int(row["adcode"][:2]), row["province"], row["province_short"], None))
        cities.append((int(row["adcode"]), row["adcode"], row["name"], row["short"], province[0], float(row["lat"]), float(row["lng"]),
                       row["pinyin"], None, row["kind"]))
    return cities, list(provinces.values())


def _distance(a: tuple[float, float], b: tuple[float, float]) -> float:
    (lat1, lng1), (lat2, lng2) = a, b
    x = math.radians(lng2 - lng1) * math.cos(math.radians((lat1 + lat2) / 2))
    return math.hypot(x, math.radians(lat2 - lat1))


def _build() -> Index:
    from xiaoguan.geo.models import City, ProvinceRegion
    from xiaoguan.org.models import Team

    stamp = _stamp()
    regions = list(Team.objects.filter(kind=Team.Kind.REGION).values_list("id", "name"))
    region_ids = {team_id for team_id, _name in regions}
    by_keyword = keyword_regions(regions)
    city_rows = list(City.objects.values_list("id", "adcode", "name", "short_name", "province_id", "lat", "lng", "pinyin", "region_id", "kind"))
    province_rows = list(ProvinceRegion.objects.values_list("id", "name", "short_name", "region_id"))
    if not city_rows:
        # The tables were emptied (a flushed test database, a restore gone wrong): answer from the bundled file rather
        # than resolve nothing. Ids are then the adcodes; regions come from the team names only.
        city_rows, province_rows = _bundled_rows()

    # Province regions: the stored one, else by keyword, else the region of the nearest province that has one.
    centre: dict[int, tuple[float, float]] = {}
    for _id, _code, _name, _short, province_id, lat, lng, *_rest in city_rows:
        centre.setdefault(province_id, (lat, lng))  # the first city (lowest adcode) is the capital
    province_region: dict[int, tuple[int | None, str]] = {}
    for pid, _name, short, region_id in province_rows:
        if region_id is not None and region_id in region_ids:
            province_region[pid] = (region_id, "province")
        elif short in by_keyword:
            province_region[pid] = (by_keyword[short], "keyword")
    for pid, *_rest in province_rows:
        if pid in province_region or pid not in centre:
            continue
        known = [(other, value) for other, value in province_region.items() if other in centre and value[1] != "nearest"]
        if known:
            nearest = min(known, key=lambda item: _distance(centre[pid], centre[item[0]]))
            province_region[pid] = (nearest[1][0], "nearest")

    municipal: dict[int, int] = {}
    for city_id, _code, _name, _short, province_id, *_rest, kind in city_rows:
        if kind in (City.Kind.MUNICIPALITY, City.Kind.SAR):
            municipal[province_id] = city_id
    provinces: dict[int, ProvinceInfo] = {}
    province_names: dict[str, int] = {}
    for pid, name, short, _region in province_rows:
        p_region, p_source = province_region.get(pid, (None, ""))
        provinces[pid] = ProvinceInfo(pid, name, short, p_region, p_source, municipal.get(pid))
        province_names[normalize(name)] = pid
        province_names[normalize(short)] = pid

    cities: dict[int, CityInfo] = {}
    names: dict[str, int] = {}
    latin: dict[str, set[int]] = {}
    by_adcode: dict[str, int] = {}
    city_province: dict[int, int] = {}
    for city_id, adcode, name, short, province_id, lat, lng, pinyin, own_region, _kind in city_rows:
        province = provinces[province_id]
        region: int | None = province.region_id
        source = province.region_source
        if own_region is not None and own_region in region_ids:
            region, source = own_region, "city"
        cities[city_id] = CityInfo(city_id, adcode, name, short, province.name, province.short_name, lat, lng, region, source)
        city_province[city_id] = province_id
        by_adcode[adcode] = city_id
        names[normalize(name)] = city_id
        names.setdefault(normalize(short), city_id)
        if pinyin:
            latin.setdefault(normalize(pinyin), set()).add(city_id)
    for alias, adcode in bundled_aliases().items():
        if adcode in by_adcode:
            names.setdefault(normalize(alias), by_adcode[adcode])
    for spelling, found in latin.items():
        if len(found) == 1:  # suzhou (苏州/宿州), taizhou, fuzhou, yichun, yulin stay unresolved
            names.setdefault(spelling, next(iter(found)))
    for spelling, chinese in EXTRA_LATIN.items():
        if normalize(chinese) in names:
            names.setdefault(spelling, names[normalize(chinese)])
    return Index(
        stamp=stamp,
        cities=cities,
        provinces=provinces,
        names=names,
        city_province=city_province,
        province_names=province_names,
        max_name=max((len(n) for n in names), default=1),
        max_province_name=max((len(n) for n in province_names), default=1),
    )


class _State:
    def __init__(self) -> None:
        self.index: Index | None = None
        self.next_check = 0.0
        self.lock = threading.Lock()


_state = _State()


def index() -> Index:
    idx, now = _state.index, monotonic_time.monotonic()
    if idx is not None and now < _state.next_check:
        return idx
    with _state.lock:
        idx = _state.index
        if idx is None or _stamp() != idx.stamp:
            idx = _build()
            _state.index = idx
        _state.next_check = now + CHECK_EVERY
        return idx


def geo_cache_clear() -> None:
    """Forget the index; the next call rebuilds it. Edits call this; tests call it after a rollback."""
    _state.index = None
    _state.next_check = 0.0
