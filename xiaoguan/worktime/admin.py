"""The holiday table and working hours in the Django admin (the 工作日历 page is the main editor)."""

from django import forms
from django.contrib import admin

from xiaoguan.worktime.hours import HoursFormatError, periods_format, periods_parse, weekdays_format, weekdays_parse
from xiaoguan.worktime.models import Holiday, WorkSchedule


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ("date", "kind", "name", "origin", "updated_at")
    list_filter = ("kind", "origin")
    date_hierarchy = "date"
    search_fields = ("name",)


class WorkScheduleForm(forms.ModelForm):
    class Meta:
        model = WorkSchedule
        fields = ("team", "weekdays", "periods")

    def clean_weekdays(self) -> str:
        try:
            return weekdays_format(weekdays_parse(self.cleaned_data["weekdays"]))
        except HoursFormatError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean_periods(self) -> str:
        try:
            return periods_format(periods_parse(self.cleaned_data["periods"]))
        except HoursFormatError as exc:
            raise forms.ValidationError(str(exc)) from exc


@admin.register(WorkSchedule)
class WorkScheduleAdmin(admin.ModelAdmin):
    form = WorkScheduleForm
    list_display = ("team", "weekdays", "periods", "updated_at")
    list_select_related = ("team",)
