from django.contrib import admin

from xiaoguan.evidence.models import ActivityEvidence, KeywordDictionary


@admin.register(KeywordDictionary)
class KeywordDictionaryAdmin(admin.ModelAdmin):
    list_display = ("label", "code", "stage_key", "is_competitor", "enabled", "version", "updated_at")
    readonly_fields = ("version", "updated_at", "updated_by")


@admin.register(ActivityEvidence)
class ActivityEvidenceAdmin(admin.ModelAdmin):
    list_display = ("activity", "code", "stage_key", "scanned_at")
    list_filter = ("code",)
    raw_id_fields = ("activity", "opportunity")
