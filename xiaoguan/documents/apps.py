from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "xiaoguan.documents"
    label = "documents"
    verbose_name = "资料"
