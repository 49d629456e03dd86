"""Reading single cells of the interchange format."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from xiaoguan.interchange import values as v
from xiaoguan.interchange.xlsx import spreadsheet_safe


def test_a_time_without_offset_is_organisation_time():
    assert v.parse_datetime("2025-03-07 15:42:10") == datetime.fromisoformat("2025-03-07T15:42:10+08:00")
    assert v.parse_datetime("2025-03-07T07:42:10Z") == datetime.fromisoformat("2025-03-07T15:42:10+08:00")


@pytest.mark.parametrize("raw", ["2025-13-01", "07/03/2025", "2025-03-07T10:00:00", "明天"])
def test_a_date_must_be_a_calendar_day(raw):
    with pytest.raises(v.CellError):
        v.parse_date(raw)


def test_a_spreadsheet_midnight_is_a_date():
    assert v.parse_date("2025-03-07T00:00:00") == date(2025, 3, 7)


@pytest.mark.parametrize(
    ("raw", "reason"), [("1,000", "数字"), ("-5", "负数"), ("1.234", "小数位"), ("1e20", "过大"), ("NaN", "数字")]
)
def test_money_is_a_plain_non_negative_decimal(raw, reason):
    with pytest.raises(v.CellError, match=reason):
        v.parse_decimal(raw, max_digits=16, decimal_places=2, minimum=Decimal(0), maximum=None)


def test_money_keeps_its_value():
    assert v.parse_decimal("483050.0", max_digits=16, decimal_places=2, minimum=Decimal(0), maximum=None) == Decimal("483050.00")


def test_whole_numbers_from_spreadsheets_are_integers():
    assert v.parse_int("321.0", minimum=0, maximum=None) == 321
    with pytest.raises(v.CellError):
        v.parse_int("321.5", minimum=0, maximum=None)


def test_periods_move_with_the_world():
    assert v.period_shift("2025-Q4", days=418) == "2026-Q4"
    assert v.period_shift("2025-11", days=31) == "2025-12"
    with pytest.raises(v.CellError):
        v.parse_period("2025Q4")


def test_export_writes_raw_values():
    assert v.format_cell(datetime.fromisoformat("2025-03-07T07:42:10+00:00")) == "2025-03-07T15:42:10+08:00"
    assert v.format_cell(Decimal("483050.00")) == "483050.00"
    assert v.format_cell(True) == "true"
    assert v.format_cell("=SUM(A1)") == "=SUM(A1)"


@pytest.mark.parametrize(
    ("value", "shown"), [("=SUM(A1)", "'=SUM(A1)"), ("+86 138", "'+86 138"), ("-x", "'-x"), ("@a", "'@a"), ("ok", "ok"), (-5, -5)]
)
def test_spreadsheet_cells_never_run_as_formulas(value, shown):
    assert spreadsheet_safe(value) == shown
