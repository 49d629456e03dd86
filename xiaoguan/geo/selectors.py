"""Reads of geo: free text to a city and its sales region, in microseconds (an in-memory index, see cache.py)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from django.apps import apps
from django.db.models import Count, Prefetch, QuerySet

from xiaoguan.geo.cache import CityInfo, Index, ProvinceInfo, index, normalize
from xiaoguan.geo.models import City, ProvinceRegion
from xiaoguan.org.models import Team

__all__ = ["CityInfo", "ProvinceInfo", "city_resolve", "province_resolve", "region_for_city"]

# Records that carry a free-text `city` and a `region` (org.Team) and so teach which region a city belongs to.
# Named by label, not imported: geo sits below leads and customers and must not import them.
OBSERVED_MODELS = ("leads.Lead", "customers.Account")


def _split_province(idx: Index, text: str) -> tuple[int | None, str]:
    """A leading province name ("江苏省苏州市…", "江苏苏州") and the rest of the text."""
    for length in range(min(idx.max_province_name, len(text)), 1, -1):
        province_id = idx.province_names.get(text[:length])
        if province_id is not None:
            return province_id, text[length:]
    return None, text


def _scan(idx: Index, text: str, province_id: int | None) -> int | None:
    """The first city name in the text (longest at the earliest position), within the province when one is known."""
    names, longest = idx.names, idx.max_name
    for start in range(len(text) - 1):
        for length in range(min(longest, len(text) - start), 1, -1):
            city_id = names.get(text[start : start + length])
            if city_id is not None and (province_id is None or idx.city_province[city_id] == province_id):
                return city_id
    return None


def _resolve_id(idx: Index, text: str) -> int | None:
    norm = normalize(text)
    if not norm:
        return None
    city_id = idx.names.get(norm)
    if city_id is not None:
        # "吉林"/"海南" name a province as well as a city: as a whole text the province wins, unless the city is in it.
        province_id = idx.province_names.get(norm)
        if province_id is None or idx.city_province[city_id] == province_id:
            return city_id
    province_id, rest = _split_province(idx, norm)
    if province_id is None:
        return _scan(idx, norm, None)
    province = idx.provinces[province_id]
    found = _scan(idx, rest, province_id) if len(rest) >= 2 else None
    if found is None and province.municipality_city_id is not None:
        return province.municipality_city_id
    if found is None and not rest:
        # "吉林省" → no city, unless a city shares the province's name.
        same = idx.names.get(normalize(province.short_name))
        return same if same is not None and idx.city_province[same] == province_id else None
    return found


def city_resolve(text: str) -> CityInfo | None:
    """Free text ("苏州", "苏州市", "江苏省苏州市工业园区", "昆山", "Beijing") to a city, or None.

    Ambiguous Latin spellings (Suzhou: 苏州 or 宿州) give None. Memoised per text."""
    idx = index()
    try:
        city_id = idx.memo[text]
    except KeyError:
        city_id = _resolve_id(idx, text)
        if len(idx.memo) >= 50_000:
            idx.memo.clear()
        idx.memo[text] = city_id
    return None if city_id is None else idx.cities[city_id]


def province_resolve(text: str) -> ProvinceInfo | None:
    """The province a text names or lies in ("江苏", "江苏省南京市", "苏州")."""
    idx = index()
    city = city_resolve(text)
    if city is not None:
        return idx.provinces[idx.city_province[city.id]]
    province_id, _rest = _split_province(idx, normalize(text))
    return None if province_id is None else idx.provinces[province_id]


def region_for_city(text: str) -> int | None:
    """The region team id for a free-text city: the city's own region, else its province's (stored, else by the
    region teams' names, else the nearest province's). A text naming only a province gives the province's region."""
    city = city_resolve(text)
    if city is not None:
        return city.region_id
    province = province_resolve(text)
    return None if province is None else province.region_id


def city_info_list() -> list[CityInfo]:
    """Every city as resolved now (effective regions included), by adcode."""
    return sorted(index().cities.values(), key=lambda c: c.adcode)


def province_info_list() -> list[ProvinceInfo]:
    return sorted(index().provinces.values(), key=lambda p: p.id)


def province_list_with_cities() -> QuerySet[ProvinceRegion]:
    """Provinces in adcode order, each with its cities: the region page."""
    return ProvinceRegion.objects.select_related("region").prefetch_related(
        Prefetch("cities", queryset=City.objects.select_related("region").order_by("adcode"))
    ).order_by("id")


def region_team_list() -> QuerySet[Team]:
    return Team.objects.filter(kind=Team.Kind.REGION).order_by("path")


@dataclass(frozen=True, slots=True)
class Observation:
    """How many records of a city (as typed) carry a region."""

    city_text: str
    region_id: int
    count: int


def city_region_observations() -> Iterator[Observation]:
    """(city text, region, count) over the records that carry both, grouped in the database (a few hundred rows)."""
    for label in OBSERVED_MODELS:
        try:
            model = apps.get_model(label)
        except LookupError:
            continue
        grouped = (
            model._default_manager.exclude(city="").filter(region__isnull=False)
            .values_list("city", "region_id").annotate(n=Count("pk")).order_by()
        )
        for city_text, region_id, count in grouped:
            yield Observation(city_text=city_text, region_id=region_id, count=count)


def observation_summary(observations: list[Observation]) -> Counter[str]:
    """Records per city text: what the region page shows beside "从现有数据推断"."""
    summary: Counter[str] = Counter()
    for item in observations:
        summary[item.city_text] += item.count
    return summary
