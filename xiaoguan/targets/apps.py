from django.apps import AppConfig


class TargetsConfig(AppConfig):
    name = "xiaoguan.targets"
    label = "targets"
    verbose_name = "目标"

    def ready(self) -> None:
        # The monthly target-fit report's job registers itself on import.
        from xiaoguan.targets import rules  # noqa: F401
