from django.apps import AppConfig


class EngagementConfig(AppConfig):
    name = "xiaoguan.engagement"
    label = "engagement"
    verbose_name = "触点"
