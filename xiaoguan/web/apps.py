from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "xiaoguan.web"
    label = "web"
    verbose_name = "页面"
