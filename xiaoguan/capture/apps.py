from django.apps import AppConfig


class CaptureConfig(AppConfig):
    name = "xiaoguan.capture"
    label = "capture"
    verbose_name = "线索采集"
