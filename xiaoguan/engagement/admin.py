from django.contrib import admin

from xiaoguan.engagement.models import TouchEvent


@admin.register(TouchEvent)
class TouchEventAdmin(admin.ModelAdmin):
    list_display = ("occurred_at", "kind", "document", "account", "contact")
    list_filter = ("kind",)
    list_select_related = ("account", "contact")
    search_fields = ("tracked_item_key", "document", "external_id")
    autocomplete_fields = ("account", "contact", "opportunity")
    show_full_result_count = False
