from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "xiaoguan.org"
    label = "org"
    verbose_name = "组织"
