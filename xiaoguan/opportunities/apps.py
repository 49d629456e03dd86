from django.apps import AppConfig


class OpportunitiesConfig(AppConfig):
    name = "xiaoguan.opportunities"
    label = "opportunities"
    verbose_name = "商机"

    def ready(self) -> None:
        # The sweep's rules for this app (stale deals) and its notification kinds register themselves on import.
        from xiaoguan.opportunities import rules  # noqa: F401
