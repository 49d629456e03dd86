"""Business-time arithmetic: the seeds' rules, the holiday table, make-up workdays, per-team hours."""

from __future__ import annotations

from datetime import date

import pytest

from tests.factories.org import TeamFactory
from xiaoguan.worktime.models import Holiday, WorkSchedule
from xiaoguan.worktime.selectors import business_minutes_between, business_time_add, is_workday
from xiaoguan.worktime.services import holiday_create, holiday_delete, work_schedule_save

pytestmark = pytest.mark.django_db


def test_friday_1730_plus_60_minutes_is_monday_0930(clock):
    # given the company default hours (09:00–12:00, 13:30–18:00, Monday to Friday) and an ordinary week
    start = clock.at("2025-03-07 17:30")  # a Friday
    # when 60 business minutes are added
    due = business_time_add(start=start, minutes=60, team_id=None)
    # then the last half hour of Friday and the first of Monday are used
    assert due == clock.at("2025-03-10 09:30")
    assert business_minutes_between(start=start, end=due, team_id=None) == 60


def test_lunch_break_is_skipped(clock):
    assert business_time_add(start=clock.at("2025-03-05 11:30"), minutes=60, team_id=None) == clock.at("2025-03-05 14:00")


def test_landing_on_the_end_of_a_period_stays_there(clock):
    assert business_time_add(start=clock.at("2025-03-05 11:00"), minutes=60, team_id=None) == clock.at("2025-03-05 12:00")


def test_start_outside_hours_begins_at_the_next_opening(clock):
    assert business_time_add(start=clock.at("2025-03-05 06:10"), minutes=30, team_id=None) == clock.at("2025-03-05 09:30")
    assert business_time_add(start=clock.at("2025-03-08 20:00"), minutes=30, team_id=None) == clock.at("2025-03-10 09:30")


def test_national_day_week_is_skipped(clock):
    # given 2025's 国庆/中秋 break: 1–8 October off, Sunday 28 September and Saturday 11 October worked
    start = clock.at("2025-09-30 17:00")
    # when two business hours are added on the eve of the holiday
    due = business_time_add(start=start, minutes=120, team_id=None)
    # then one hour is used on the 30th and the second one on Thursday 9 October
    assert due == clock.at("2025-10-09 10:00")
    assert not is_workday(date(2025, 10, 6))
    assert business_minutes_between(start=clock.at("2025-10-01 00:00"), end=clock.at("2025-10-09 00:00"), team_id=None) == 0


def test_make_up_saturday_is_counted(clock):
    # given Saturday 11 October 2025, a make-up workday (调休上班)
    assert is_workday(date(2025, 10, 11))
    # when 30 minutes are added on Friday 10 October at 17:45
    due = business_time_add(start=clock.at("2025-10-10 17:45"), minutes=30, team_id=None)
    # then the Saturday's first quarter hour counts
    assert due == clock.at("2025-10-11 09:15")


def test_make_up_sunday_counted_in_between(clock):
    # Sunday 28 September 2025 is worked: 7.5 hours that day
    minutes = business_minutes_between(start=clock.at("2025-09-27 00:00"), end=clock.at("2025-09-29 00:00"), team_id=None)
    assert minutes == 450


def test_uncovered_year_falls_back_to_monday_to_friday(clock):
    # 2027: no row in the table and the package does not know it; never a crash
    Holiday.objects.filter(date__year=2027).delete()
    assert is_workday(date(2027, 10, 1))  # a Friday, a public holiday in every real year, but not known here
    assert not is_workday(date(2027, 10, 2))
    assert business_time_add(start=clock.at("2027-10-01 17:30"), minutes=60, team_id=None) == clock.at("2027-10-04 09:30")


def test_admin_holiday_in_an_uncovered_year_counts(clock):
    holiday_create(day=date(2027, 10, 1), kind=Holiday.Kind.HOLIDAY, name="国庆节")
    assert not is_workday(date(2027, 10, 1))
    assert business_time_add(start=clock.at("2027-09-30 17:30"), minutes=60, team_id=None) == clock.at("2027-10-04 09:30")


def test_deleting_a_holiday_makes_the_day_ordinary():
    holiday = Holiday.objects.get(date=date(2025, 10, 6))
    holiday_delete(holiday=holiday)
    assert is_workday(date(2025, 10, 6))  # a Monday


def test_an_admin_row_in_a_bundled_year_keeps_the_other_bundled_days():
    # given a year the package covers but the table has no rows for (e.g. the package was upgraded)
    Holiday.objects.filter(date__year=2024).delete()
    assert not is_workday(date(2024, 10, 1))  # the package decides
    # when the admin adds the company's own day off
    holiday_create(day=date(2024, 12, 24), kind=Holiday.Kind.HOLIDAY, name="公司年会")
    # then both that day and the package's holidays are off
    assert not is_workday(date(2024, 12, 24))
    assert not is_workday(date(2024, 10, 1))
    assert Holiday.objects.filter(date__year=2024, origin=Holiday.Origin.BUNDLED).count() > 20


def test_team_inherits_hours_from_its_nearest_ancestor(clock):
    # given a region with its own hours and a team below it, and a sibling region without
    company = TeamFactory(kind="company", name="公司")
    south = TeamFactory(parent=company, name="华南")
    team = TeamFactory(parent=south, kind="team", name="深圳组")
    north = TeamFactory(parent=company, name="华北")
    work_schedule_save(team=south, weekdays="123456", periods="08:00-20:00")
    saturday = clock.at("2025-03-08 10:00")
    # then the team works the region's Saturday, the other region keeps the company default
    assert business_time_add(start=saturday, minutes=60, team_id=team.pk) == clock.at("2025-03-08 11:00")
    assert business_time_add(start=saturday, minutes=60, team_id=north.pk) == clock.at("2025-03-10 10:00")
    assert business_time_add(start=saturday, minutes=60, team_id=None) == clock.at("2025-03-10 10:00")


def test_unknown_team_uses_the_default(clock):
    assert business_time_add(start=clock.at("2025-03-07 17:30"), minutes=60, team_id=987654) == clock.at("2025-03-10 09:30")


def test_changing_the_default_is_seen_at_once(clock):
    start = clock.at("2025-03-07 17:30")
    assert business_time_add(start=start, minutes=60, team_id=None) == clock.at("2025-03-10 09:30")
    work_schedule_save(team=None, weekdays="12345", periods="10:00-19:00")
    assert business_time_add(start=start, minutes=60, team_id=None) == clock.at("2025-03-07 18:30")
    assert WorkSchedule.objects.filter(team__isnull=True).count() == 1


def test_result_is_in_organisation_time_and_accepts_other_zones(clock):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    start = datetime(2025, 3, 7, 9, 30, tzinfo=ZoneInfo("UTC"))  # 17:30 in Shanghai
    due = business_time_add(start=start, minutes=60, team_id=None)
    assert due == clock.at("2025-03-10 09:30")
    assert str(due.tzinfo) == "Asia/Shanghai"


def test_naive_datetime_is_refused():
    from datetime import datetime

    with pytest.raises(ValueError, match="aware"):
        business_time_add(start=datetime(2025, 3, 7, 9, 30), minutes=60, team_id=None)  # noqa: DTZ001


def test_negative_minutes_are_refused(clock):
    with pytest.raises(ValueError, match="negative"):
        business_time_add(start=clock.at("2025-03-07 09:30"), minutes=-1, team_id=None)


def test_between_is_negative_backwards(clock):
    assert business_minutes_between(start=clock.at("2025-03-05 10:00"), end=clock.at("2025-03-05 09:00"), team_id=None) == -60


def test_dst_zone_counts_real_minutes(settings, clock):
    # Asia/Shanghai has no DST; a zone that has one must count the real elapsed minutes of a night shift.
    from datetime import datetime
    from zoneinfo import ZoneInfo

    settings.TIME_ZONE = "Europe/Berlin"
    from xiaoguan.worktime.cache import worktime_cache_clear

    worktime_cache_clear()
    Holiday.objects.filter(date__year=2025).delete()  # the Chinese table is not Berlin's; weekdays only
    work_schedule_save(team=None, weekdays="1234567", periods="00:00-06:00")
    berlin = ZoneInfo("Europe/Berlin")
    # 30 March 2025: 02:00 → 03:00, the 00:00–06:00 shift lasts 5 real hours
    start = datetime(2025, 3, 30, 0, 0, tzinfo=berlin)
    assert business_minutes_between(start=start, end=datetime(2025, 3, 30, 6, 0, tzinfo=berlin), team_id=None) == 300
    assert business_time_add(start=start, minutes=300, team_id=None) == datetime(2025, 3, 30, 6, 0, tzinfo=berlin)
    worktime_cache_clear()


def test_sub_minute_start_keeps_its_fraction(clock):
    # found by hypothesis: 10:00:00.000001 + 1290 min ends at 09:00:00.000001 three workdays later
    from datetime import timedelta

    start = clock.at("2024-01-02 10:00") + timedelta(microseconds=1)
    due = business_time_add(start=start, minutes=1290, team_id=None)
    assert due == clock.at("2024-01-05 09:00") + timedelta(microseconds=1)
    assert business_minutes_between(start=start, end=due, team_id=None) == 1290


def test_business_time_add_is_fast_after_warm_up(clock):
    # the capture path calls it for every lead; generous bound so a busy CI machine does not flake
    import time
    from datetime import timedelta

    starts = [clock.at("2025-09-01 08:00") + timedelta(minutes=17 * i) for i in range(5000)]
    for start in starts:
        business_time_add(start=start, minutes=60, team_id=None)
    began = time.perf_counter()
    for start in starts:
        business_time_add(start=start, minutes=60, team_id=None)
    per_call = (time.perf_counter() - began) / len(starts)
    assert per_call < 100e-6, f"{per_call * 1e6:.1f} µs per call"
