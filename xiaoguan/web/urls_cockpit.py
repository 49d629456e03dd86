"""Page URLs of the managers' cockpit (驾驶舱, issue 6), included by xiaoguan/web/urls.py. A page added here and to
`COCKPIT_PAGES` in web/views/cockpit.py shows on the cockpit's landing page."""

from django.urls import path

from xiaoguan.web.views import cockpit

urlpatterns: list = [
    path("insights/", cockpit.cockpit_home, name="cockpit"),
    path("insights/drill/", cockpit.cockpit_drill, name="cockpit_drill"),
]

urlpatterns += [
    path("insights/funnel/", cockpit.cockpit_funnel, name="cockpit_funnel"),
    path("insights/dwell/", cockpit.cockpit_dwell, name="cockpit_dwell"),
    path("insights/heatmap/", cockpit.cockpit_heatmap, name="cockpit_heatmap"),
    path("insights/heatmap/chances/", cockpit.cockpit_heatmap_chances, name="cockpit_heatmap_chances"),
    path("insights/radar/", cockpit.cockpit_radar, name="cockpit_radar"),
]

# The forecast with its accuracy tracking and the managers' calls, and the weekly brief (issue 6, part 4).
from xiaoguan.web.views import brief, forecast  # noqa: E402

urlpatterns += [
    path("insights/forecast/", forecast.forecast_page, name="cockpit_forecast"),
    path("insights/forecast/current/", forecast.forecast_current, name="cockpit_forecast_current"),
    path("insights/forecast/call/", forecast.forecast_call, name="cockpit_forecast_call"),
    path("insights/forecast/backfill/", forecast.forecast_backfill, name="cockpit_forecast_backfill"),
    path("insights/brief/", brief.brief_page, name="cockpit_brief"),
    path("insights/brief/decisions/", brief.brief_decision, name="cockpit_brief_decision"),
]
