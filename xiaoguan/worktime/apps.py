from django.apps import AppConfig


class WorktimeConfig(AppConfig):
    name = "xiaoguan.worktime"
    label = "worktime"
    verbose_name = "工作时间"
