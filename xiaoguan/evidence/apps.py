from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "xiaoguan.evidence"
    label = "evidence"
    verbose_name = "关键词证据"

    def ready(self) -> None:
        # Its notification kind (competitor + price) registers on import.
        from xiaoguan.evidence import rules  # noqa: F401
