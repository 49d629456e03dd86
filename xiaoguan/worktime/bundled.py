"""The calendar bundled with the `chinese-calendar` package, read from its tables once.

The package raises NotImplementedError for a year it does not know; we never call its functions, we read its
tables and say which years they cover, so an uncovered year becomes a warning instead of a crash.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache

from chinese_calendar import constants  # type: ignore[import-untyped]  # no stubs; pyproject has no override for it

# The package names holidays in English; the table and the pages show them in Chinese.
HOLIDAY_NAMES_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


@dataclass(frozen=True, slots=True)
class BundledDay:
    day: date
    is_workday: bool
    name: str


def _name(value: object) -> str:
    english = str(getattr(value, "value", value))
    return HOLIDAY_NAMES_ZH.get(english, english)


@cache
def bundled_days() -> dict[date, BundledDay]:
    """Every special day the package knows: holidays (including those on a weekend) and make-up workdays."""
    days = {d: BundledDay(day=d, is_workday=False, name=_name(v)) for d, v in constants.holidays.items()}
    days.update({d: BundledDay(day=d, is_workday=True, name=_name(v)) for d, v in constants.workdays.items()})
    return days


@cache
def bundled_years() -> frozenset[int]:
    """Years the package covers, by its own rule (the span of its holiday table)."""
    years = [d.year for d in constants.holidays]
    return frozenset(range(min(years), max(years) + 1)) if years else frozenset()


def bundled_days_of_year(year: int) -> list[BundledDay]:
    return sorted((b for b in bundled_days().values() if b.day.year == year), key=lambda b: b.day)
