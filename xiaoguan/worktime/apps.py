"""Business hours: working days (China's public holidays and make-up workdays), per-team hours, business-time arithmetic."""
from django.apps import AppConfig


class WorktimeConfig(AppConfig):
    name = "xiaoguan.worktime"
    label = "worktime"
    verbose_name = "工作时间"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from xiaoguan.worktime.cache import worktime_cache_clear

        def _drop(**_kwargs: object) -> None:
            worktime_cache_clear()

        # Saves made outside the services (the Django admin, the team tree, imports) drop the snapshot as well.
        for model in ("worktime.Holiday", "worktime.WorkSchedule", "org.Team"):
            post_save.connect(_drop, sender=model, weak=False, dispatch_uid=f"worktime-cache-{model}-save")
            post_delete.connect(_drop, sender=model, weak=False, dispatch_uid=f"worktime-cache-{model}-delete")
