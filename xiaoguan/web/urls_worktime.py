"""Page URLs of the worktime area (included by xiaoguan/web/urls.py): the working calendar and the city/region table."""

from django.urls import path

from xiaoguan.web.views import geo, worktime

urlpatterns: list = [
    path("settings/calendar/", worktime.calendar, name="worktime_calendar"),
    path("settings/calendar/reload/", worktime.calendar_reload, name="worktime_calendar_reload"),
    path("settings/calendar/days/<int:pk>/", worktime.holiday_edit, name="worktime_holiday_edit"),
    path("settings/calendar/days/<int:pk>/delete/", worktime.holiday_remove, name="worktime_holiday_delete"),
    path("settings/calendar/hours/", worktime.schedule_edit, name="worktime_schedule_default"),
    path("settings/calendar/hours/team/", worktime.schedule_pick, name="worktime_schedule_pick"),
    path("settings/calendar/hours/<int:team_id>/", worktime.schedule_edit, name="worktime_schedule_team"),
    path("settings/calendar/hours/<int:team_id>/delete/", worktime.schedule_delete, name="worktime_schedule_delete"),
    path("settings/cities/", geo.cities, name="geo_cities"),
    path("settings/cities/learn/", geo.cities_learn, name="geo_cities_learn"),
]
