"""Field types every API schema shares: text without traps, org-time datetimes, money as a 2-decimal number.

Input types refuse what the database would choke on (NUL characters, lone surrogates, years a time zone
conversion overflows, more digits than the column holds) so a bad value is a 422, never a 500.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _
from pydantic import AfterValidator, BeforeValidator, Field, Strict

from xiaoguan.core.clock import org_tz
from xiaoguan.core.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS, money_round

# Far enough for any business date; near enough that converting between time zones never leaves datetime's range.
YEAR_MIN, YEAR_MAX = 1900, 2999
# The largest value a PositiveIntegerField holds on every supported database.
INT_MAX = 2_147_483_647


def _clean_text(value: str) -> str:
    if "\x00" in value:
        raise ValueError(_("含有无效字符"))
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(_("含有无效字符")) from exc
    return value.strip()


def _not_blank(value: str) -> str:
    if not value:
        raise ValueError(_("不能为空"))
    return value


def _email(value: str) -> str:
    if value:
        try:
            validate_email(value)
        except DjangoValidationError as exc:
            raise ValueError(_("邮箱格式不正确")) from exc
    return value


# Pydantic would also read a number ("1700000000") as a Unix timestamp; that is never what a caller meant here.
_ISO_DATE_START = re.compile(r"\s*\d{4}-\d{2}-\d{2}")


def _json_time(value: Any) -> Any:
    """Times travel as ISO 8601 strings."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _ISO_DATE_START.match(value):
        raise ValueError(_("时间格式有误，请用 ISO 8601，例如 2025-03-07T15:42:10+08:00"))
    return value


def _json_date(value: Any) -> Any:
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _ISO_DATE_START.match(value):
        raise ValueError(_("日期格式有误，请用 YYYY-MM-DD"))
    return value


def _query_int(value: Any) -> Any:
    """Only digits: "1.0", "1e3" or "true" in a query string are mistakes, not integers."""
    if isinstance(value, str) and not re.fullmatch(r"[+-]?\d{1,12}", value.strip()):
        raise ValueError(_("请填写整数"))
    return value


def _query_bool(value: Any) -> Any:
    """`true` or `false` (as the document says), not pydantic's lenient yes/no/on/off/1/0."""
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered not in ("true", "false"):
            raise ValueError(_("请填写 true 或 false"))
        return lowered == "true"
    return value


def _check_year(year: int) -> None:
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise ValueError(_("年份应在 %(min)s 到 %(max)s 之间") % {"min": YEAR_MIN, "max": YEAR_MAX})


def _aware(value: datetime) -> datetime:
    """A time without offset is read in the organisation's time zone (spec/interchange.md).

    Every time is handed on in that zone: PostgreSQL refuses offsets beyond ±15:59 that ISO 8601 strings may carry.
    """
    _check_year(value.year)
    if timezone.is_naive(value):
        value = value.replace(tzinfo=org_tz())
    value = value.astimezone(org_tz())
    _check_year(value.year)
    return value


def _in_range(value: date) -> date:
    _check_year(value.year)
    return value


def _org_time(value: datetime) -> datetime:
    return value.astimezone(org_tz()).replace(microsecond=0)


# --- input ---------------------------------------------------------------------------------------------------------
Text16 = Annotated[str, Field(max_length=16), AfterValidator(_clean_text)]
Text32 = Annotated[str, Field(max_length=32), AfterValidator(_clean_text)]
Text50 = Annotated[str, Field(max_length=50), AfterValidator(_clean_text)]
Text64 = Annotated[str, Field(max_length=64), AfterValidator(_clean_text)]
Text100 = Annotated[str, Field(max_length=100), AfterValidator(_clean_text)]
Text200 = Annotated[str, Field(max_length=200), AfterValidator(_clean_text)]
LongText = Annotated[str, Field(max_length=10_000), AfterValidator(_clean_text)]
Name100 = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_clean_text), AfterValidator(_not_blank)]
Name200 = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_clean_text), AfterValidator(_not_blank)]
Reason200 = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_clean_text), AfterValidator(_not_blank)]
Email = Annotated[str, Field(max_length=254), AfterValidator(_clean_text), AfterValidator(_email)]
ExternalId = Annotated[str, Field(min_length=1, max_length=64, description="外部编号 external id"), AfterValidator(_clean_text)]
Query200 = Annotated[str, Field(max_length=200), AfterValidator(_clean_text)]

IdFilter = Annotated[str, Field(max_length=64, description="外部编号；空值表示不过滤"), AfterValidator(_clean_text)]

DateTimeIn = Annotated[
    datetime, BeforeValidator(_json_time), AfterValidator(_aware), Field(description="ISO 8601；不带时区按组织时区 (Asia/Shanghai)")
]
DateIn = Annotated[date, BeforeValidator(_json_date), AfterValidator(_in_range), Field(description="YYYY-MM-DD")]
MoneyIn = Annotated[Decimal, Field(ge=0, max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES, description="金额，最多 2 位小数")]
PositiveInt = Annotated[int, Strict(), Field(ge=0, le=INT_MAX)]
Flag = Annotated[bool, Strict()]
QueryInt = Annotated[int, BeforeValidator(_query_int)]
QueryBool = Annotated[bool, BeforeValidator(_query_bool)]
Latitude = Annotated[Decimal, Field(ge=-90, le=90, max_digits=9, decimal_places=6)]
Longitude = Annotated[Decimal, Field(ge=-180, le=180, max_digits=9, decimal_places=6)]

# --- output --------------------------------------------------------------------------------------------------------
DateTimeOut = Annotated[datetime, AfterValidator(_org_time), Field(description="ISO 8601，带时区")]
MoneyOut = Annotated[float, Field(description="金额，2 位小数")]


def money(value: Decimal) -> float:
    """Money in JSON: a number rounded to 2 decimals (spec/cli.md)."""
    return float(money_round(value))


def money_or_none(value: Decimal | None) -> float | None:
    return None if value is None else money(value)


def number_or_none(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _drop_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def unset() -> Any:
    """The default of a PATCH field that may be left out but not sent as null: absent means "unchanged"."""
    return Field(default=None, json_schema_extra=_drop_default)


def enum_or_none[E: Enum](enum: type[E], value: str) -> E | None:
    """An empty choice column is "unknown": JSON null rather than a value outside the enumeration."""
    return enum(value) if value else None


def external_id_of(obj: Any) -> str | None:
    """The external id of a related record, or None (never a query when the relation is already loaded)."""
    return None if obj is None else str(obj.external_id)

