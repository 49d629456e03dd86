from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "xiaoguan.insights"
    label = "insights"
    verbose_name = "洞察"

    def ready(self) -> None:
        # The weekly forecast snapshot registers itself with the sweep on import.
        from xiaoguan.insights import rules  # noqa: F401
