from django.apps import AppConfig


class TargetsConfig(AppConfig):
    name = "xiaoguan.targets"
    label = "targets"
    verbose_name = "目标"
