"""Drill-downs: the records behind a number on a cockpit chart.

Every clickable number is named by a drill code (`funnel_reached`, `won`, …) and its parameters (`stage`, `month`, …).
The module that computes the number registers, under that code, the condition that selects the same records — so the
chart and its drill-down share one definition and cannot drift apart. The drill-down page applies the condition to the
entity's `*_list_visible_to` selector, so it never lists a record the viewer may not open.

Register in the module that computes the figure:

    @drill_register("won")
    def _won(cockpit: CockpitFilter, params: Mapping[str, str]) -> Drill | None:
        return Drill(kind="deals", title="本期赢单", condition=deal_condition(cockpit) & Q(status="won", ...))
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal

from django.db.models import Q

from xiaoguan.insights.filters import CockpitFilter

type DrillKind = Literal["deals", "activities", "leads"]


@dataclass(frozen=True)
class Drill:
    kind: DrillKind
    title: str  # what the list is, in the organisation's language ("华东大区 · 2025-10 赢单")
    condition: Q  # on Opportunity, Activity or Lead, as `kind` says; already limited to the cockpit's people
    order_by: tuple[str, ...] = ()


type DrillBuilder = Callable[[CockpitFilter, Mapping[str, str]], Drill | None]

_DRILLS: dict[str, DrillBuilder] = {}


def drill_register(code: str) -> Callable[[DrillBuilder], DrillBuilder]:
    def register(builder: DrillBuilder) -> DrillBuilder:
        _DRILLS[code] = builder
        return builder

    return register


def drill_resolve(*, code: str, cockpit: CockpitFilter, params: Mapping[str, str]) -> Drill | None:
    """The drill-down a link names, or None for an unknown code or parameters that name nothing."""
    builder = _DRILLS.get(code)
    return builder(cockpit, params) if builder is not None else None


def deal_condition(cockpit: CockpitFilter, *, prefix: str = "") -> Q:
    """Deals of the cockpit's people, product line and pipeline (`prefix` = "opportunity__" from a related model)."""
    condition = Q(**{f"{prefix}owner_id__in": sorted(cockpit.owner_ids)})
    if cockpit.product_line:
        condition &= Q(**{f"{prefix}product_line": cockpit.product_line})
    if cockpit.pipeline is not None:
        condition &= Q(**{f"{prefix}pipeline_id": cockpit.pipeline.pk})
    return condition


def param_int(params: Mapping[str, str], name: str) -> int | None:
    try:
        return int(params.get(name) or "")
    except ValueError:
        return None


def param_month(params: Mapping[str, str], name: str = "month") -> date | None:
    """`2025-10` → the first day of that month."""
    try:
        return date.fromisoformat(f"{params.get(name) or ''}-01")
    except ValueError:
        return None
