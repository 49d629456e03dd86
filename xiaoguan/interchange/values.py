"""Reading and writing single cells of the interchange format (spec/interchange.md, "Conventions").

Parsers take the raw cell text (never empty: the caller handles empty cells) and return a Python value or
raise `CellError` with a reason in the user's language. Formatters do the reverse for `xiaoguan export`.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from xiaoguan.core.clock import org_tz


class CellError(ValueError):
    """A cell that cannot be read; `reason` is shown to the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


TRUE_WORDS = frozenset({"true", "1", "yes", "y", "是", "t"})
FALSE_WORDS = frozenset({"false", "0", "no", "n", "否", "f"})
PERIOD_RE = re.compile(r"^(\d{4})-(?:Q([1-4])|(0[1-9]|1[0-2]))$")


def parse_datetime(raw: str) -> datetime:
    text = raw.strip()
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise CellError(_("不是有效的时间（应为 ISO 8601，如 2025-03-07T15:42:10+08:00）")) from None
    if value.tzinfo is None:
        # spec: a time without offset is read in the organisation's zone.
        value = value.replace(tzinfo=org_tz())
    return value


def parse_date(raw: str) -> date:
    text = raw.strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        # A spreadsheet stores a date as midnight of that day; anything later in the day is not a date.
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CellError(_("不是有效的日期（应为 YYYY-MM-DD）")) from None
    if (moment.hour, moment.minute, moment.second, moment.microsecond) != (0, 0, 0, 0):
        raise CellError(_("不是有效的日期（应为 YYYY-MM-DD）"))
    return moment.date()


def parse_decimal(raw: str, *, max_digits: int, decimal_places: int, minimum: Decimal | None, maximum: Decimal | None) -> Decimal:
    text = raw.strip()
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise CellError(_("不是有效的数字（小数点用“.”，不要千分位）")) from None
    if not value.is_finite():
        raise CellError(_("不是有效的数字（小数点用“.”，不要千分位）"))
    try:
        rounded = value.quantize(Decimal(1).scaleb(-decimal_places))
    except InvalidOperation:
        raise CellError(_("数值过大")) from None
    if rounded != value:
        raise CellError(_("小数位数过多（最多 %(places)d 位）") % {"places": decimal_places})
    if minimum is not None and value < minimum:
        raise CellError(_("不能为负数") if minimum == 0 else _("不能小于 %(minimum)s") % {"minimum": minimum})
    if maximum is not None and value > maximum:
        raise CellError(_("不能大于 %(maximum)s") % {"maximum": maximum})
    if rounded and rounded.adjusted() >= max_digits - decimal_places:
        raise CellError(_("数值过大"))
    return rounded


def parse_int(raw: str, *, minimum: int | None, maximum: int | None) -> int:
    text = raw.strip()
    try:
        value = int(text)
    except ValueError:
        # Spreadsheet programs write whole numbers as "321.0".
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise CellError(_("不是整数")) from None
        if not number.is_finite() or number != number.to_integral_value():
            raise CellError(_("不是整数")) from None
        value = int(number)
    if minimum is not None and value < minimum:
        raise CellError(_("不能为负数") if minimum == 0 else _("不能小于 %(minimum)s") % {"minimum": minimum})
    if maximum is not None and value > maximum:
        raise CellError(_("不能大于 %(maximum)s") % {"maximum": maximum})
    return value


def parse_bool(raw: str) -> bool:
    text = raw.strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise CellError(_("应为 true 或 false"))


def parse_period(raw: str) -> str:
    text = raw.strip()
    if not PERIOD_RE.match(text):
        raise CellError(_("周期应为 2025-Q4 或 2025-11 这样的格式"))
    return text


def period_start(period: str) -> date:
    match = PERIOD_RE.match(period)
    if match is None:
        raise ValueError(period)
    year, quarter, month = match.groups()
    if quarter:
        return date(int(year), (int(quarter) - 1) * 3 + 1, 1)
    return date(int(year), int(month), 1)


def period_shift(period: str, *, days: int) -> str:
    """The period of the same kind that holds the period's first day moved by `days` (demo worlds moved in time)."""
    moved = period_start(period) + timedelta(days=days)
    if "Q" in period:
        return f"{moved.year}-Q{(moved.month - 1) // 3 + 1}"
    return f"{moved.year}-{moved.month:02d}"


def format_cell(value: Any) -> str:
    """A stored value as the interchange format writes it: raw, exact, no spreadsheet escaping."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.astimezone(org_tz()).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)
