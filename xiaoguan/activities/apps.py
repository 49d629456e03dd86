from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "xiaoguan.activities"
    label = "activities"
    verbose_name = "跟进"
