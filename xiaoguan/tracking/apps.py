from django.apps import AppConfig


class TrackingConfig(AppConfig):
    name = "xiaoguan.tracking"
    label = "tracking"
    verbose_name = "追踪链接"

    def ready(self) -> None:
        # The notification kinds of this app register themselves on import.
        from xiaoguan.tracking import rules  # noqa: F401
