from django.contrib import admin

from xiaoguan.tracking.models import TrackedLink, TrackingHit


@admin.register(TrackedLink)
class TrackedLinkAdmin(admin.ModelAdmin):
    list_display = ("external_id", "kind", "label", "account", "contact", "created_at", "expires_at", "revoked_at")
    list_filter = ("kind",)
    list_select_related = ("account", "contact")
    search_fields = ("external_id", "label", "recipient")
    raw_id_fields = ("account", "contact", "opportunity", "document", "created_by")
    show_full_result_count = False


@admin.register(TrackingHit)
class TrackingHitAdmin(admin.ModelAdmin):
    list_display = ("at", "link", "route", "flag", "detail", "ip")
    list_filter = ("flag", "route")
    raw_id_fields = ("link",)
    show_full_result_count = False
