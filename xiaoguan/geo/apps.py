from django.apps import AppConfig


class GeoConfig(AppConfig):
    name = "xiaoguan.geo"
    label = "geo"
    verbose_name = "地区"
