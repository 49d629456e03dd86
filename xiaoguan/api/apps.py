from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "xiaoguan.api"
    label = "api"
    verbose_name = "接口"
