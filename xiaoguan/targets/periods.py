"""Target periods as the interchange format writes them: a quarter `2025-Q4` or a month `2025-11`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from xiaoguan.core.clock import day_start

PERIOD_RE = re.compile(r"^(\d{4})-(?:Q([1-4])|(0[1-9]|1[0-2]))$")
QUARTER = "quarter"
MONTH = "month"


def month_add(day: date, months: int) -> date:
    """The first day of the month `months` after (or before, when negative) the month of `day`."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class TargetPeriod:
    code: str
    start: date  # first day
    end: date  # first day of the next period (exclusive)

    @property
    def grain(self) -> str:
        return QUARTER if "Q" in self.code else MONTH

    @property
    def months(self) -> int:
        return 3 if self.grain == QUARTER else 1

    @property
    def start_at(self) -> datetime:
        return day_start(self.start)

    @property
    def end_at(self) -> datetime:
        return day_start(self.end)

    def next(self) -> TargetPeriod:
        return target_period_containing(self.end, grain=self.grain)


def target_period(code: str) -> TargetPeriod:
    """The period named `code`; ValueError when it is not `YYYY-Qn` or `YYYY-MM`."""
    match = PERIOD_RE.match(code.strip())
    if match is None:
        raise ValueError(f"not a target period: {code!r}")
    year, quarter, month = match.groups()
    if quarter:
        start = date(int(year), (int(quarter) - 1) * 3 + 1, 1)
        return TargetPeriod(code=code.strip(), start=start, end=month_add(start, 3))
    start = date(int(year), int(month), 1)
    return TargetPeriod(code=code.strip(), start=start, end=month_add(start, 1))


def target_period_containing(day: date, *, grain: str) -> TargetPeriod:
    if grain == QUARTER:
        return target_period(f"{day.year}-Q{(day.month - 1) // 3 + 1}")
    return target_period(f"{day.year}-{day.month:02d}")
