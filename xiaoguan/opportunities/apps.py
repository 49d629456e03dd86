from django.apps import AppConfig


class OpportunitiesConfig(AppConfig):
    name = "xiaoguan.opportunities"
    label = "opportunities"
    verbose_name = "商机"
