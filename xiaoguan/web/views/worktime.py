"""工作日历: the holiday table (by year, add/edit/delete, reload from the bundled calendar) and working hours per team. Admins only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from xiaoguan.core.clock import clock_today
from xiaoguan.core.errors import DomainError
from xiaoguan.org.models import Team
from xiaoguan.web.views.common import AuthedRequest, forbidden, form_take_error, is_admin
from xiaoguan.worktime.bundled import bundled_years
from xiaoguan.worktime.models import Holiday, WorkSchedule
from xiaoguan.worktime.selectors import calendar_warning, holiday_list_for_year, holiday_years, work_schedule_list
from xiaoguan.worktime.services import (
    holiday_create,
    holiday_delete,
    holiday_update,
    holidays_reload_year,
    work_schedule_delete,
    work_schedule_save,
)

MIN_YEAR, MAX_YEAR = 2000, 2100


class HolidayForm(forms.Form):
    date = forms.DateField(label=gettext_lazy("日期"), widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label=gettext_lazy("类型"), choices=Holiday.Kind.choices)
    name = forms.CharField(label=gettext_lazy("名称"), max_length=60, required=False, help_text=gettext_lazy("如 国庆节、公司年会"))


class ScheduleForm(forms.Form):
    weekdays = forms.CharField(label=gettext_lazy("工作日"), max_length=20, help_text=gettext_lazy("1=周一 … 7=周日，如 12345"))
    periods = forms.CharField(label=gettext_lazy("工作时段"), max_length=200, help_text=gettext_lazy("如 09:00-12:00,13:30-18:00"))


def _year(request: AuthedRequest) -> int:
    raw = request.GET.get("year") or request.POST.get("year") or ""
    try:
        year = int(raw)
    except ValueError:
        return clock_today().year
    return year if MIN_YEAR <= year <= MAX_YEAR else clock_today().year


def _calendar_url(year: int) -> str:
    return f"{reverse('web:worktime_calendar')}?year={year}"


@login_required
@require_http_methods(["GET", "POST"])
def calendar(request: AuthedRequest) -> HttpResponse:
    """One year of the holiday table, the coverage warning and the working hours; POST adds a day."""
    if not is_admin(request.user):
        return forbidden(request)
    year = _year(request)
    form = HolidayForm(request.POST or None, initial={"kind": Holiday.Kind.HOLIDAY})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            holiday_create(day=data["date"], kind=data["kind"], name=data["name"])
        except DomainError as exc:
            form_take_error(form, exc)
        else:
            messages.success(request, _("已添加 %(date)s。") % {"date": data["date"].isoformat()})
            return redirect(_calendar_url(data["date"].year))
    today = clock_today()
    years = holiday_years(today=today)
    context: dict[str, Any] = {
        "year": year,
        "years": years,
        "coverage": next((y for y in years if y.year == year), None),
        "bundled_covers_year": year in bundled_years(),
        "holidays": holiday_list_for_year(year=year),
        "warning": calendar_warning(today=today),
        "form": form,
        "schedules": work_schedule_list(),
        "teams_without": Team.objects.filter(work_schedule__isnull=True).order_by("path"),
    }
    return render(request, "web/worktime/calendar.html", context, status=422 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def holiday_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    if not is_admin(request.user):
        return forbidden(request)
    holiday = get_object_or_404(Holiday, pk=pk)
    initial = {"date": holiday.date, "kind": holiday.kind, "name": holiday.name}
    form = HolidayForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            holiday_update(holiday=holiday, day=data["date"], kind=data["kind"], name=data["name"])
        except DomainError as exc:
            form_take_error(form, exc)
        else:
            messages.success(request, _("已保存 %(date)s。") % {"date": data["date"].isoformat()})
            return redirect(_calendar_url(data["date"].year))
    return render(request, "web/worktime/holiday_edit.html", {"form": form, "holiday": holiday}, status=422 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def holiday_remove(request: AuthedRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation; POST deletes."""
    if not is_admin(request.user):
        return forbidden(request)
    holiday = get_object_or_404(Holiday, pk=pk)
    if request.method == "POST":
        year = holiday.date.year
        holiday_delete(holiday=holiday)
        messages.success(request, _("已删除 %(date)s，这一天按星期几计算。") % {"date": holiday.date.isoformat()})
        return redirect(_calendar_url(year))
    return render(request, "web/worktime/confirm.html", {
        "title": _("删除节假日"),
        "question": _("删除 %(date)s（%(kind)s %(name)s）？删除后这一天按星期几计算是否上班。") % {
            "date": holiday.date.isoformat(), "kind": holiday.get_kind_display(), "name": holiday.name,
        },
        "action": reverse("web:worktime_holiday_delete", args=[holiday.pk]),
        "back": _calendar_url(holiday.date.year),
        "danger": True,
    })


@login_required
@require_http_methods(["GET", "POST"])
def calendar_reload(request: AuthedRequest) -> HttpResponse:
    """Reload a year from the bundled chinese-calendar (admin rows stay). GET asks for confirmation."""
    if not is_admin(request.user):
        return forbidden(request)
    year = _year(request)
    if request.method == "POST":
        try:
            written = holidays_reload_year(year=year)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已按内置日历重新载入 %(year)s 年：%(n)s 天。") % {"year": year, "n": written})
        return redirect(_calendar_url(year))
    return render(request, "web/worktime/confirm.html", {
        "title": _("按内置日历重新载入"),
        "question": _("用 chinese-calendar 内置的 %(year)s 年节假日替换该年来自内置日历的记录？管理员添加或修改过的日期保持不变。") % {"year": year},
        "action": reverse("web:worktime_calendar_reload"),
        "hidden": {"year": year},
        "back": _calendar_url(year),
        "danger": False,
    })


@login_required
@require_http_methods(["GET", "POST"])
def schedule_edit(request: AuthedRequest, team_id: int | None = None) -> HttpResponse:
    """Working hours of a team (or, without a team, the company default)."""
    if not is_admin(request.user):
        return forbidden(request)
    team = None if team_id is None else get_object_or_404(Team, pk=team_id)
    schedule = WorkSchedule.objects.filter(team=team).first()
    inherited = None
    if schedule is None:
        inherited = WorkSchedule.objects.filter(team__isnull=True).first()
    source = schedule or inherited
    initial = {"weekdays": source.weekdays if source else "12345", "periods": source.periods if source else "09:00-12:00,13:30-18:00"}
    form = ScheduleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            work_schedule_save(team=team, weekdays=form.cleaned_data["weekdays"], periods=form.cleaned_data["periods"])
        except DomainError as exc:
            form_take_error(form, exc)
        else:
            messages.success(request, _("工作时间已保存。"))
            return redirect(reverse("web:worktime_calendar") + "#hours")
    return render(request, "web/worktime/schedule_edit.html", {"form": form, "team": team, "schedule": schedule},
                  status=422 if form.errors else 200)


@login_required
@require_POST
def schedule_delete(request: AuthedRequest, team_id: int) -> HttpResponse:
    if not is_admin(request.user):
        return forbidden(request)
    schedule = get_object_or_404(WorkSchedule, team_id=team_id)
    try:
        work_schedule_delete(schedule=schedule)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(team)s 改为沿用上级的工作时间。") % {"team": schedule.team})
    return redirect(reverse("web:worktime_calendar") + "#hours")


@login_required
def schedule_pick(request: AuthedRequest) -> HttpResponse:
    """The team picker's GET target: on to that team's hours."""
    if not is_admin(request.user):
        return forbidden(request)
    team = get_object_or_404(Team, pk=request.GET.get("team") or 0)
    return redirect("web:worktime_schedule_team", team_id=team.pk)
