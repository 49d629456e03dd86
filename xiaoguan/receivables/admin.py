from django.contrib import admin

from xiaoguan.receivables.models import Invoice


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    list_display = ("external_id", "account", "amount", "issued_on", "due_on", "paid_on")
    list_select_related = ("account",)
    search_fields = ("external_id", "account__name")
    autocomplete_fields = ("account", "opportunity")
    show_full_result_count = False
