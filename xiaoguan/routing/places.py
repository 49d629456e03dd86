"""A lead's place for routing: its city's province and sales region, from the bundled city table (xiaoguan.geo)."""

from __future__ import annotations

from dataclasses import dataclass

from xiaoguan.geo.selectors import city_resolve
from xiaoguan.routing.engine import city_key


@dataclass(frozen=True)
class Place:
    city: str
    province: str
    region_id: int | None


NOWHERE = Place(city="", province="", region_id=None)


def place_resolve(text: str) -> Place:
    """The city's short name, province and region id ("苏州市" → 苏州, 江苏, 华东大区's id), or NOWHERE when unknown.

    Short names on both sides: a rule on "江苏" or "江苏省", "苏州" or "苏州市" matches the same leads.
    """
    if not text.strip():
        return NOWHERE
    found = city_resolve(text)
    if found is None:
        return Place(city=city_key(text), province="", region_id=None)
    return Place(city=city_key(found.short_name or found.name), province=found.province_short or found.province, region_id=found.region_id)


class PlaceCache:
    """One resolution per distinct city text in a batch (20,000 leads come from a few hundred cities)."""

    def __init__(self) -> None:
        self._seen: dict[str, Place] = {}

    def get(self, text: str) -> Place:
        key = text.strip()
        if key not in self._seen:
            self._seen[key] = place_resolve(key)
        return self._seen[key]
