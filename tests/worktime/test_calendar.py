"""The holiday table: seeded from chinese-calendar, editable, a warning (never a crash) for uncovered years."""

from __future__ import annotations

from datetime import date

import chinese_calendar
import pytest

from xiaoguan.core.errors import InvalidStateError, ValidationFailedError
from xiaoguan.worktime.bundled import bundled_years
from xiaoguan.worktime.models import Holiday, WorkSchedule
from xiaoguan.worktime.selectors import calendar_warning, holiday_years, is_workday
from xiaoguan.worktime.services import (
    holiday_create,
    holiday_update,
    holidays_reload_year,
    work_schedule_delete,
    work_schedule_save,
)

pytestmark = pytest.mark.django_db


def test_package_does_not_cover_2027_and_raises():
    # the fact this app is built around: the package answers 2026, and raises for 2027
    assert chinese_calendar.is_holiday(date(2026, 10, 1))
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_holiday(date(2027, 10, 1))
    assert 2026 in bundled_years() and 2027 not in bundled_years()


def test_migration_seeded_the_bundled_calendar():
    national_day = Holiday.objects.get(date=date(2026, 10, 1))
    assert national_day.kind == Holiday.Kind.HOLIDAY and national_day.name == "国庆节" and national_day.origin == Holiday.Origin.BUNDLED
    assert Holiday.objects.get(date=date(2026, 2, 14)).kind == Holiday.Kind.WORKDAY
    assert WorkSchedule.objects.get(team__isnull=True).periods == "09:00-12:00,13:30-18:00"


def test_warning_names_2027_on_2026_11_22():
    # given 22 November 2026, and no 2027 row in the table
    Holiday.objects.filter(date__year=2027).delete()
    # then the banner says 2027 is not covered, and only 2027
    warning = calendar_warning(today=date(2026, 11, 22))
    assert warning is not None
    assert "2027 年" in warning and "2026" not in warning


def test_warning_names_both_years_when_neither_is_covered():
    warning = calendar_warning(today=date(2030, 1, 5))
    assert warning is not None and "2030" in warning and "2031" in warning


def test_no_warning_when_the_admin_entered_next_year():
    holiday_create(day=date(2027, 1, 1), kind=Holiday.Kind.HOLIDAY, name="元旦")
    assert calendar_warning(today=date(2026, 11, 22)) is None


def test_no_warning_inside_the_bundled_years():
    assert calendar_warning(today=date(2025, 6, 1)) is None


def test_admin_edit_turns_a_bundled_row_into_the_admins():
    row = Holiday.objects.get(date=date(2026, 10, 7))
    holiday_update(holiday=row, day=date(2026, 10, 7), kind=Holiday.Kind.WORKDAY, name="公司值班")
    row.refresh_from_db()
    assert row.origin == Holiday.Origin.ADMIN
    assert is_workday(date(2026, 10, 7))


def test_reload_restores_the_bundled_year_and_keeps_admin_rows():
    # given an admin row and a deleted bundled row in 2026
    Holiday.objects.filter(date=date(2026, 10, 2)).delete()
    holiday_create(day=date(2026, 12, 24), kind=Holiday.Kind.HOLIDAY, name="公司年会")
    assert is_workday(date(2026, 10, 2))
    # when the admin reloads 2026 from the bundled calendar
    written = holidays_reload_year(year=2026)
    # then the package's rows are back and the admin's row stays
    assert written == len([d for d in Holiday.objects.filter(date__year=2026) if d.origin == Holiday.Origin.BUNDLED])
    assert not is_workday(date(2026, 10, 2))
    assert not is_workday(date(2026, 12, 24))


def test_reload_of_an_uncovered_year_is_refused():
    with pytest.raises(InvalidStateError, match="2027"):
        holidays_reload_year(year=2027)


def test_duplicate_admin_day_is_refused():
    holiday_create(day=date(2027, 5, 3), kind=Holiday.Kind.HOLIDAY, name="劳动节")
    with pytest.raises(ValidationFailedError):
        holiday_create(day=date(2027, 5, 3), kind=Holiday.Kind.HOLIDAY, name="劳动节")


@pytest.mark.parametrize(("weekdays", "periods", "field"), [("12345", "18:00-09:00", "periods"), ("8", "09:00-18:00", "weekdays"),
                                                             ("12345", "09:00-12:00,11:00-13:00", "periods"), ("12345", "", "periods")])
def test_bad_hours_are_refused(weekdays, periods, field):
    with pytest.raises(ValidationFailedError) as caught:
        work_schedule_save(team=None, weekdays=weekdays, periods=periods)
    assert field in caught.value.field_errors


def test_hours_are_normalised():
    schedule = work_schedule_save(team=None, weekdays="5,4,3,2,1", periods="13:30-18:00，9:00-12:00")
    assert (schedule.weekdays, schedule.periods) == ("12345", "09:00-12:00,13:30-18:00")


def test_default_schedule_cannot_be_deleted():
    with pytest.raises(InvalidStateError):
        work_schedule_delete(schedule=WorkSchedule.objects.get(team__isnull=True))


def test_year_list_marks_coverage():
    years = {y.year: y for y in holiday_years(today=date(2026, 11, 22))}
    assert years[2026].covered and years[2026].bundled
    assert not years[2027].covered
