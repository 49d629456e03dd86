from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "xiaoguan.routing"
    label = "routing"
    verbose_name = "线索分配"
