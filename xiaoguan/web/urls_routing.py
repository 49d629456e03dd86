"""Page URLs of the routing area (included by xiaoguan/web/urls.py)."""

from django.urls import path

from xiaoguan.web.views import routing

urlpatterns: list = [
    path("routing/", routing.rules, name="routing_rules"),
    path("routing/rules/new/", routing.rule_new, name="routing_rule_new"),
    path("routing/rules/try/", routing.rule_try, name="routing_rule_try"),
    path("routing/rules/<str:pk>/", routing.rule_edit, name="routing_rule_edit"),
    path("routing/rules/<str:pk>/move/", routing.rule_move_view, name="routing_rule_move"),
    path("routing/rules/<str:pk>/toggle/", routing.rule_toggle, name="routing_rule_toggle"),
    path("routing/rules/<str:pk>/history/", routing.rule_history, name="routing_rule_history"),
    path("routing/rules.yaml", routing.rules_export, name="routing_export"),
    path("routing/queue/", routing.queue, name="routing_queue"),
    path("routing/queue/route/", routing.queue_route, name="routing_queue_route"),
    path("routing/queue/<str:external_id>/assign/", routing.queue_assign, name="routing_queue_assign"),
    path("routing/capacity/", routing.capacity, name="routing_capacity"),
    path("routing/capacity/<str:external_id>/", routing.capacity_edit, name="routing_capacity_edit"),
    path("routing/people/<str:external_id>/deactivate/", routing.deactivate, name="routing_deactivate"),
]
