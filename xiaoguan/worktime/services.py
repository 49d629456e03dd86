"""Writes of worktime: the admin's holiday table and working hours. Every write drops the in-memory snapshot."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from xiaoguan.core.errors import InvalidStateError, ValidationFailedError
from xiaoguan.org.models import Team
from xiaoguan.worktime.bundled import bundled_days_of_year, bundled_years
from xiaoguan.worktime.cache import worktime_cache_clear
from xiaoguan.worktime.hours import HoursFormatError, periods_format, periods_parse, weekdays_format, weekdays_parse
from xiaoguan.worktime.models import Holiday, WorkSchedule


def _changed() -> None:
    # Now for this thread, and again on commit for the threads that rebuilt from the old rows meanwhile.
    worktime_cache_clear()
    transaction.on_commit(worktime_cache_clear)


def _year_materialize(year: int) -> None:
    """Before the first row of a year the bundled calendar covers, copy that year in: a year with rows is decided
    by the table alone, so one admin row must not silently drop the package's other holidays of that year."""
    if year in bundled_years() and not Holiday.objects.filter(date__year=year).exists():
        Holiday.objects.bulk_create(
            [
                Holiday(date=b.day, kind=Holiday.Kind.WORKDAY if b.is_workday else Holiday.Kind.HOLIDAY, name=b.name, origin=Holiday.Origin.BUNDLED)
                for b in bundled_days_of_year(year)
            ]
        )


def _check_kind(kind: str) -> None:
    if kind not in Holiday.Kind.values:
        raise ValidationFailedError(field_errors={"kind": [_("未知类型")]})


@transaction.atomic
def holiday_create(*, day: date, kind: str, name: str = "") -> Holiday:
    """Add a holiday or a make-up workday (admin origin)."""
    _check_kind(kind)
    _year_materialize(day.year)
    existing = Holiday.objects.filter(date=day).first()
    if existing is not None and existing.origin == Holiday.Origin.ADMIN:
        raise ValidationFailedError(field_errors={"date": [_("%(date)s 已有记录，请直接编辑") % {"date": day.isoformat()}]})
    if existing is not None:
        # The bundled row of that day, just copied in: the admin's entry replaces it.
        existing.delete()
    holiday = Holiday.objects.create(date=day, kind=kind, name=name.strip()[:60], origin=Holiday.Origin.ADMIN)
    _changed()
    return holiday


@transaction.atomic
def holiday_update(*, holiday: Holiday, day: date, kind: str, name: str = "") -> Holiday:
    """Change a row; it becomes the admin's (a reload of the bundled year keeps it)."""
    _check_kind(kind)
    if day != holiday.date:
        _year_materialize(day.year)
        clash = Holiday.objects.filter(date=day).exclude(pk=holiday.pk).first()
        if clash is not None and clash.origin == Holiday.Origin.ADMIN:
            raise ValidationFailedError(field_errors={"date": [_("%(date)s 已有记录") % {"date": day.isoformat()}]})
        if clash is not None:
            clash.delete()
    holiday.date, holiday.kind, holiday.name, holiday.origin = day, kind, name.strip()[:60], Holiday.Origin.ADMIN
    holiday.save()
    _changed()
    return holiday


@transaction.atomic
def holiday_delete(*, holiday: Holiday) -> None:
    """Remove a row: that day follows its weekday again (within a year the table holds)."""
    holiday.delete()
    _changed()


@transaction.atomic
def holidays_reload_year(*, year: int) -> int:
    """Replace the year's bundled rows with the package's calendar; the admin's own rows stay. Returns rows written."""
    if year not in bundled_years():
        raise InvalidStateError(_("内置的 chinese-calendar 未收录 %(year)s 年，请手工录入或升级该软件包") % {"year": year})
    Holiday.objects.filter(date__year=year, origin=Holiday.Origin.BUNDLED).delete()
    admin_days = set(Holiday.objects.filter(date__year=year).values_list("date", flat=True))
    rows = [
        Holiday(date=b.day, kind=Holiday.Kind.WORKDAY if b.is_workday else Holiday.Kind.HOLIDAY, name=b.name, origin=Holiday.Origin.BUNDLED)
        for b in bundled_days_of_year(year)
        if b.day not in admin_days
    ]
    Holiday.objects.bulk_create(rows)
    _changed()
    return len(rows)


def _clean_hours(*, weekdays: str, periods: str) -> tuple[str, str]:
    errors: dict[str, list[str]] = {}
    try:
        weekdays = weekdays_format(weekdays_parse(weekdays))
    except HoursFormatError as exc:
        errors["weekdays"] = [str(exc)]
    try:
        periods = periods_format(periods_parse(periods))
    except HoursFormatError as exc:
        errors["periods"] = [str(exc)]
    if errors:
        raise ValidationFailedError(field_errors=errors)
    return weekdays, periods


@transaction.atomic
def work_schedule_save(*, team: Team | None, weekdays: str, periods: str) -> WorkSchedule:
    """Set the working hours of a team (None: the company default); its sub-teams without their own inherit them."""
    weekdays, periods = _clean_hours(weekdays=weekdays, periods=periods)
    schedule, _created_now = WorkSchedule.objects.update_or_create(team=team, defaults={"weekdays": weekdays, "periods": periods})
    _changed()
    return schedule


@transaction.atomic
def work_schedule_delete(*, schedule: WorkSchedule) -> None:
    """A team's own hours go; it inherits again. The company default stays (it is the root of inheritance)."""
    if schedule.team_id is None:
        raise InvalidStateError(_("公司默认工作时间不能删除，只能修改"))
    schedule.delete()
    _changed()
