from django.apps import AppConfig


class ReceivablesConfig(AppConfig):
    name = "xiaoguan.receivables"
    label = "receivables"
    verbose_name = "应收"
