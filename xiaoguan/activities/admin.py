from django.contrib import admin

from xiaoguan.activities.models import Activity, Task


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ("external_id", "kind", "owner", "account", "occurred_at", "recorded_at")
    list_filter = ("kind",)
    list_select_related = ("owner", "account")
    search_fields = ("external_id",)
    autocomplete_fields = ("owner", "account", "opportunity", "lead")
    # Millions of rows: no full count, newest first by the primary key.
    show_full_result_count = False
    ordering = ("-pk",)


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ("title", "owner", "due_at", "done_at", "source")
    list_filter = ("source",)
    list_select_related = ("owner",)
    search_fields = ("title", "external_id")
    autocomplete_fields = ("owner", "account", "opportunity", "lead")
    show_full_result_count = False
