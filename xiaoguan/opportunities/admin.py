"""Pipelines and their stages are configuration a sales director changes here; deals are browsed, not typed."""

from django.contrib import admin

from xiaoguan.opportunities.models import Opportunity, Pipeline, Stage, StageHistory


class StageInline(admin.TabularInline):
    model = Stage
    extra = 0
    fields = ("position", "key", "name", "is_won")
    ordering = ("position",)


@admin.register(Pipeline)
class PipelineAdmin(admin.ModelAdmin):
    list_display = ("name", "external_id")
    search_fields = ("name", "external_id")
    inlines = [StageInline]


class StageHistoryInline(admin.TabularInline):
    model = StageHistory
    extra = 0
    fields = ("stage", "entered_at", "changed_by")
    readonly_fields = fields
    can_delete = False


@admin.register(Opportunity)
class OpportunityAdmin(admin.ModelAdmin):
    list_display = ("name", "external_id", "account", "owner", "stage", "status", "amount", "expected_close")
    list_filter = ("status", "pipeline")
    list_select_related = ("account", "owner", "stage")
    search_fields = ("name", "external_id", "account__name")
    autocomplete_fields = ("account", "owner")
    show_full_result_count = False
    inlines = [StageHistoryInline]
