from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "xiaoguan.core"
    label = "core"
    verbose_name = "核心"
