from django.contrib import admin

from xiaoguan.documents.models import Document


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ("original_name", "external_id", "kind", "content_type", "size", "account", "opportunity", "uploaded_by", "uploaded_at")
    list_filter = ("kind", "content_type")
    search_fields = ("original_name", "external_id", "sha256")
    raw_id_fields = ("account", "opportunity", "uploaded_by")
    readonly_fields = ("file", "content_type", "size", "sha256", "uploaded_at")
