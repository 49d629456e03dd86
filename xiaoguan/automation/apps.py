from django.apps import AppConfig


class AutomationConfig(AppConfig):
    name = "xiaoguan.automation"
    label = "automation"
    verbose_name = "自动化"
