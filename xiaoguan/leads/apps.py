from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "xiaoguan.leads"
    label = "leads"
    verbose_name = "线索"

    def ready(self) -> None:
        # The sweep's rules for this app register themselves on import.
        from xiaoguan.leads import rules  # noqa: F401
