from django.contrib import admin

from xiaoguan.customers.models import Account, Contact


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    fields = ("external_id", "name", "title", "role_in_decision", "phone", "email", "wechat")


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ("name", "external_id", "grade", "kind", "industry", "city", "owner", "created_at")
    list_filter = ("grade", "kind", "region")
    list_select_related = ("owner", "region")
    search_fields = ("name", "external_id")
    autocomplete_fields = ("owner", "region")
    show_full_result_count = False
    inlines = [ContactInline]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ("name", "account", "title", "role_in_decision", "phone")
    list_select_related = ("account",)
    search_fields = ("name", "external_id", "phone")
    autocomplete_fields = ("account",)
    show_full_result_count = False
