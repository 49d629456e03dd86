from django.apps import AppConfig


class EngagementConfig(AppConfig):
    name = "xiaoguan.engagement"
    label = "engagement"
    verbose_name = "触点"

    def ready(self) -> None:
        # The sweep's jobs for this app register themselves on import.
        from xiaoguan.engagement import rules  # noqa: F401
