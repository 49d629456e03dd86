from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "xiaoguan.customers"
    label = "customers"
    verbose_name = "客户"
