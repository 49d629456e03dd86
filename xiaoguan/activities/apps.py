from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "xiaoguan.activities"
    label = "activities"
    verbose_name = "跟进"

    def ready(self) -> None:
        # The sweep's rules for this app register themselves on import.
        from xiaoguan.activities import rules  # noqa: F401
