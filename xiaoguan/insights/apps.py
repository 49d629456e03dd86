from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "xiaoguan.insights"
    label = "insights"
    verbose_name = "洞察"
