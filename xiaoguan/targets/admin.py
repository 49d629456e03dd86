from django.contrib import admin

from xiaoguan.targets.models import Target


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    list_display = ("period", "scope_kind", "user", "team", "product_line", "amount")
    list_filter = ("period", "scope_kind")
    list_select_related = ("user", "team")
    autocomplete_fields = ("user", "team")
    search_fields = ("external_id", "period")
