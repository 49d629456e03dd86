from django.contrib import admin

from xiaoguan.leads.models import Lead


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):
    list_display = ("external_id", "name", "company", "source", "status", "owner", "created_at")
    list_filter = ("status", "source")
    list_select_related = ("owner",)
    search_fields = ("external_id", "name", "company", "phone")
    autocomplete_fields = ("owner", "region", "converted_account", "converted_opportunity")
    # A million leads: no full count, no unindexed default sort.
    show_full_result_count = False
    ordering = ("-created_at",)
