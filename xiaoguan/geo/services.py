"""Writes of geo: which region a province or a city belongs to, set by an admin or learned from existing records."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from xiaoguan.core.errors import ValidationFailedError
from xiaoguan.geo.cache import geo_cache_clear
from xiaoguan.geo.models import City, ProvinceRegion, RegionOrigin
from xiaoguan.geo.selectors import Observation, city_region_observations, city_resolve, province_info_list
from xiaoguan.org.models import Team

# A city or province needs this many records, and the winning region this share of them, before inference sets it.
LEARN_MIN_RECORDS = 3
LEARN_MIN_SHARE = 0.6


def _changed() -> None:
    geo_cache_clear()
    transaction.on_commit(geo_cache_clear)


@dataclass
class LearnReport:
    """What `regions_learn` saw and changed; `unresolved` are city texts no bundled city matched."""

    records: int = 0
    provinces_set: list[str] = field(default_factory=list)
    cities_set: list[str] = field(default_factory=list)
    cities_cleared: list[str] = field(default_factory=list)
    kept_admin: int = 0
    unresolved: Counter[str] = field(default_factory=Counter)


def _winner(votes: Counter[int]) -> int | None:
    total = sum(votes.values())
    if total < LEARN_MIN_RECORDS:
        return None
    # Most records first; a tie goes to the lower team id, so a re-run gives the same answer.
    region_id, count = min(votes.items(), key=lambda item: (-item[1], item[0]))
    return region_id if count / total >= LEARN_MIN_SHARE else None


@transaction.atomic
def regions_learn(*, observations: Iterable[Observation] | None = None) -> LearnReport:
    """Set each province's region to the one most of its records carry, and a city's own region only where its
    records disagree with its province. Choices an admin made (for a city or for its province) are kept. Safe to
    run again: a city whose records now agree with its province inherits again."""
    if observations is None:
        observations = list(city_region_observations())
    report = LearnReport()
    region_ids = set(Team.objects.filter(kind=Team.Kind.REGION).values_list("id", flat=True))
    by_city: dict[int, Counter[int]] = defaultdict(Counter)
    by_province: dict[str, Counter[int]] = defaultdict(Counter)
    for item in observations:
        if item.region_id not in region_ids:
            continue
        report.records += item.count
        resolved = city_resolve(item.city_text)
        if resolved is None:
            report.unresolved[item.city_text] += item.count
            continue
        by_city[resolved.id][item.region_id] += item.count
        by_province[resolved.province][item.region_id] += item.count

    for province in ProvinceRegion.objects.select_for_update().order_by("id"):
        learned = _winner(by_province[province.name]) if province.name in by_province else None
        if province.region_origin == RegionOrigin.ADMIN:
            report.kept_admin += learned is not None
        elif learned is not None and (province.region_id != learned or province.region_origin != RegionOrigin.LEARNED):
            province.region_id, province.region_origin = learned, RegionOrigin.LEARNED
            province.save(update_fields=["region", "region_origin", "updated_at"])
            report.provinces_set.append(province.name)

    # What a city would inherit now: its province's stored region, else the default by the region teams' names.
    geo_cache_clear()
    inherited_of = {p.id: p.region_id for p in province_info_list()}
    admin_provinces = set(ProvinceRegion.objects.filter(region_origin=RegionOrigin.ADMIN).values_list("id", flat=True))

    for city in City.objects.select_for_update().filter(pk__in=list(by_city)).order_by("adcode"):
        learned = _winner(by_city[city.pk])
        if learned is None:
            continue
        if city.region_origin == RegionOrigin.ADMIN or city.province_id in admin_provinces:
            # The admin's word on a city, or on its whole province, stands over what the records suggest.
            report.kept_admin += 1
            continue
        if learned == inherited_of.get(city.province_id):
            if city.region_id is not None:
                # The province now says the same: the city inherits again instead of carrying a copy.
                city.region_id, city.region_origin = None, RegionOrigin.NONE
                city.save(update_fields=["region", "region_origin", "updated_at"])
                report.cities_cleared.append(city.name)
            continue
        if city.region_id != learned:
            city.region_id, city.region_origin = learned, RegionOrigin.LEARNED
            city.save(update_fields=["region", "region_origin", "updated_at"])
            report.cities_set.append(city.name)
    _changed()
    return report


def _check_regions(ids: Iterable[int | None]) -> None:
    wanted = {i for i in ids if i is not None}
    known = set(Team.objects.filter(kind=Team.Kind.REGION, pk__in=wanted).values_list("id", flat=True))
    if wanted - known:
        raise ValidationFailedError(_("所选大区不存在"), field_errors={"region": [_("所选大区不存在")]})


@transaction.atomic
def regions_save(*, provinces: dict[int, int | None], cities: dict[int, int | None]) -> int:
    """The admin's page: province id -> region (None: by the region teams' names), city id -> region (None: as its
    province). Only changed rows are written; they become the admin's. Returns rows changed."""
    _check_regions([*provinces.values(), *cities.values()])
    changed = 0
    for province in ProvinceRegion.objects.select_for_update().filter(pk__in=list(provinces)):
        region_id = provinces[province.pk]
        if province.region_id != region_id:
            province.region_id = region_id
            province.region_origin = RegionOrigin.NONE if region_id is None else RegionOrigin.ADMIN
            province.save(update_fields=["region", "region_origin", "updated_at"])
            changed += 1
    for city in City.objects.select_for_update().filter(pk__in=list(cities)):
        region_id = cities[city.pk]
        if city.region_id != region_id:
            city.region_id = region_id
            city.region_origin = RegionOrigin.NONE if region_id is None else RegionOrigin.ADMIN
            city.save(update_fields=["region", "region_origin", "updated_at"])
            changed += 1
    _changed()
    return changed
