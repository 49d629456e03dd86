"""Cities and province regions in the Django admin (the 城市与大区 page is the main editor)."""

from django.contrib import admin

from xiaoguan.geo.models import City, ProvinceRegion


@admin.register(ProvinceRegion)
class ProvinceRegionAdmin(admin.ModelAdmin):
    list_display = ("name", "short_name", "region", "region_origin")
    list_select_related = ("region",)
    readonly_fields = ("name", "short_name")


@admin.register(City)
class CityAdmin(admin.ModelAdmin):
    list_display = ("name", "adcode", "province", "lat", "lng", "region", "region_origin")
    list_filter = ("province", "kind", "region_origin")
    list_select_related = ("province", "region")
    search_fields = ("name", "short_name", "adcode", "pinyin")
    readonly_fields = ("adcode", "kind")
