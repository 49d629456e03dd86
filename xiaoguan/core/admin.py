"""Change history in the admin: read-only (it is written by the services, never by hand)."""

from django.contrib import admin

from xiaoguan.core.models import HistoryEntry


@admin.register(HistoryEntry)
class HistoryEntryAdmin(admin.ModelAdmin):
    list_display = ("at", "action", "content_type", "object_id", "actor", "note")
    list_filter = ("action", "content_type")
    list_select_related = ("actor", "content_type")
    show_full_result_count = False
    readonly_fields = ("content_type", "object_id", "actor", "at", "action", "changes", "note")

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
