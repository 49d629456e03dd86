from django.apps import AppConfig


class AutomationConfig(AppConfig):
    name = "xiaoguan.automation"
    label = "automation"
    verbose_name = "自动化"

    def ready(self) -> None:
        # The weekly brief's notice registers itself with the sweep on import.
        from xiaoguan.automation import briefs  # noqa: F401
