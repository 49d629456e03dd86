"""Page URLs of the cockpit's diagnostics (issue 6): behaviour vs conversion, process health, customer health and
opportunity efficiency. Named `cockpit_*` so the menu's 驾驶舱 entry stays lit on them."""

from django.urls import path

from xiaoguan.web.views import cockpit_behaviour

urlpatterns: list = [
    path("insights/behaviour/", cockpit_behaviour.cockpit_behaviour, name="cockpit_behaviour"),
    path("insights/health/", cockpit_behaviour.cockpit_health, name="cockpit_health"),
    path("insights/customers/", cockpit_behaviour.cockpit_customers, name="cockpit_customers"),
    path("insights/efficiency/", cockpit_behaviour.cockpit_efficiency, name="cockpit_efficiency"),
]
