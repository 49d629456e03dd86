"""A lead's place for routing: its city's province and sales region, from the bundled city table (xiaoguan.geo).

geo is written alongside routing; until its resolver exists every city resolves to nothing (rules on regions then
match only leads that carry their region), so routing never fails for want of a city table.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from xiaoguan.routing.engine import city_key


@dataclass(frozen=True)
class Place:
    city: str
    province: str
    region_id: int | None


NOWHERE = Place(city="", province="", region_id=None)


def _resolver() -> Callable[[str], Any] | None:
    for module_name in ("xiaoguan.geo.selectors", "xiaoguan.geo.services", "xiaoguan.geo"):
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        for name in ("city_resolve", "region_for_city"):
            found = getattr(module, name, None)
            if callable(found):
                return found  # type: ignore[no-any-return]
    return None


def place_resolve(text: str) -> Place:
    """The city's name, province and region id ("苏州市" → 苏州, 江苏, 华东大区's id), or NOWHERE when unknown."""
    if not text.strip():
        return NOWHERE
    resolver = _resolver()
    if resolver is None:
        return NOWHERE
    found = resolver(text)
    if found is None:
        return NOWHERE
    if isinstance(found, int):  # region_for_city answering a region id
        return Place(city=city_key(text), province="", region_id=found)
    region_id = getattr(found, "region_id", None)
    if region_id is None and getattr(found, "kind", None) == "region":  # a Team
        region_id = getattr(found, "pk", None)
    return Place(
        city=str(getattr(found, "name", "") or city_key(text)), province=str(getattr(found, "province", "") or ""), region_id=region_id
    )


class PlaceCache:
    """One resolution per distinct city text in a batch (20,000 leads come from a few hundred cities)."""

    def __init__(self) -> None:
        self._seen: dict[str, Place] = {}

    def get(self, text: str) -> Place:
        key = text.strip()
        if key not in self._seen:
            self._seen[key] = place_resolve(key)
        return self._seen[key]
