"""Page URLs of the managers' cockpit (驾驶舱, issue 6), included by xiaoguan/web/urls.py. A page added here and to
`COCKPIT_PAGES` in web/views/cockpit.py shows on the cockpit's landing page."""

from django.urls import path

from xiaoguan.web.views import cockpit

urlpatterns: list = [
    path("insights/", cockpit.cockpit_home, name="cockpit"),
    path("insights/drill/", cockpit.cockpit_drill, name="cockpit_drill"),
]
