from django.apps import AppConfig


class InterchangeConfig(AppConfig):
    name = "xiaoguan.interchange"
    label = "interchange"
    verbose_name = "导入导出"
