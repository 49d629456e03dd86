"""The working-calendar pages: admins list, add, edit, delete (with confirmation), reload a year, set team hours."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from tests.factories.org import TeamFactory, UserFactory
from xiaoguan.org.models import Role
from xiaoguan.worktime.models import Holiday, WorkSchedule
from xiaoguan.worktime.selectors import is_workday

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(login):  # type: ignore[no-untyped-def]
    return login(UserFactory(role=Role.ADMIN))


def test_reps_are_refused(login):
    rep = login(UserFactory(role=Role.REP))
    assert rep.get(reverse("web:worktime_calendar")).status_code == 403
    assert rep.post(reverse("web:worktime_calendar"), {"date": "2027-10-01", "kind": "holiday"}).status_code == 403
    assert not Holiday.objects.filter(date=date(2027, 10, 1)).exists()


def test_calendar_lists_the_year_and_warns_about_next_year(admin, clock):
    clock.set("2026-11-22 10:00")
    page = admin.get(reverse("web:worktime_calendar") + "?year=2026")
    text = page.content.decode()
    assert page.status_code == 200
    assert "国庆节" in text and "2026-10-01" in text
    assert 'id="calendar-warning"' in text and "2027 年" in text
    assert "09:00-12:00,13:30-18:00" in text


def test_admin_adds_edits_and_deletes_a_day(admin, clock):
    clock.set("2026-11-22 10:00")
    # add
    response = admin.post(reverse("web:worktime_calendar"), {"date": "2027-10-01", "kind": "holiday", "name": "国庆节"})
    assert response.status_code == 302
    row = Holiday.objects.get(date=date(2027, 10, 1))
    assert row.origin == Holiday.Origin.ADMIN and not is_workday(date(2027, 10, 1))
    # the warning is gone once 2027 has rows
    assert 'id="calendar-warning"' not in admin.get(reverse("web:worktime_calendar")).content.decode()
    # edit
    admin.post(reverse("web:worktime_holiday_edit", args=[row.pk]), {"date": "2027-10-02", "kind": "workday", "name": "调休"})
    row.refresh_from_db()
    assert (row.date, row.kind) == (date(2027, 10, 2), Holiday.Kind.WORKDAY)
    # delete asks first, then deletes
    confirm = admin.get(reverse("web:worktime_holiday_delete", args=[row.pk]))
    assert confirm.status_code == 200 and "2027-10-02" in confirm.content.decode()
    assert Holiday.objects.filter(pk=row.pk).exists()
    admin.post(reverse("web:worktime_holiday_delete", args=[row.pk]))
    assert not Holiday.objects.filter(pk=row.pk).exists()


def test_bad_input_is_shown_not_stored(admin):
    response = admin.post(reverse("web:worktime_calendar"), {"date": "not a date", "kind": "holiday"})
    assert response.status_code == 422
    response = admin.post(reverse("web:worktime_schedule_default"), {"weekdays": "12345", "periods": "18:00-09:00"})
    assert response.status_code == 422 and "结束时间须晚于开始时间" in response.content.decode()
    assert WorkSchedule.objects.get(team__isnull=True).periods == "09:00-12:00,13:30-18:00"


def test_reload_a_year_from_the_bundled_calendar(admin):
    Holiday.objects.filter(date__year=2025).delete()
    Holiday.objects.create(date=date(2025, 1, 2), kind=Holiday.Kind.HOLIDAY, name="公司假", origin=Holiday.Origin.ADMIN)
    assert admin.get(reverse("web:worktime_calendar_reload") + "?year=2025").status_code == 200  # the confirmation
    admin.post(reverse("web:worktime_calendar_reload"), {"year": "2025"})
    assert Holiday.objects.filter(date__year=2025, origin=Holiday.Origin.BUNDLED).count() > 20
    assert Holiday.objects.get(date=date(2025, 1, 2)).origin == Holiday.Origin.ADMIN


def test_reload_of_an_uncovered_year_says_why(admin):
    response = admin.post(reverse("web:worktime_calendar_reload"), {"year": "2027"}, follow=True)
    assert "未收录 2027 年" in response.content.decode()


def test_team_hours_set_and_dropped(admin):
    team = TeamFactory(name="深圳组")
    page = admin.get(reverse("web:worktime_schedule_pick") + f"?team={team.pk}", follow=True)
    assert page.status_code == 200 and "深圳组" in page.content.decode()
    admin.post(reverse("web:worktime_schedule_team", args=[team.pk]), {"weekdays": "123456", "periods": "08:30-20:30"})
    assert WorkSchedule.objects.get(team=team).periods == "08:30-20:30"
    assert is_workday(date(2025, 3, 8), team_id=team.pk)  # a Saturday
    admin.post(reverse("web:worktime_schedule_delete", args=[team.pk]))
    assert not WorkSchedule.objects.filter(team=team).exists()
    assert not is_workday(date(2025, 3, 8), team_id=team.pk)


def test_english_page_and_warning(admin, clock):
    clock.set("2026-11-22 10:00")
    Holiday.objects.filter(date__year=2027).delete()
    text = admin.get(reverse("web:worktime_calendar"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Working calendar" in text
    assert "Public holidays and make-up workdays of 2027 are not on record yet" in text
