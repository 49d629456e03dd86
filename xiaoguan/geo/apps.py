"""Places: the bundled table of Chinese cities (province, coordinates) and which sales region each belongs to."""
from django.apps import AppConfig


class GeoConfig(AppConfig):
    name = "xiaoguan.geo"
    label = "geo"
    verbose_name = "地区"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from xiaoguan.geo.cache import geo_cache_clear

        def _drop(**_kwargs: object) -> None:
            geo_cache_clear()

        # Region teams' names decide the default mapping, so a renamed or new region drops the index too.
        for model in ("geo.City", "geo.ProvinceRegion", "org.Team"):
            post_save.connect(_drop, sender=model, weak=False, dispatch_uid=f"geo-cache-{model}-save")
            post_delete.connect(_drop, sender=model, weak=False, dispatch_uid=f"geo-cache-{model}-delete")
