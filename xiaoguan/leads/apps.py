from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "xiaoguan.leads"
    label = "leads"
    verbose_name = "线索"
