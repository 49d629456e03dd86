"""People, teams and API tokens in the admin. Passwords are never set here: invitations and reset links do that."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from xiaoguan.org.models import ApiToken, Assignment, Team, User

admin.site.site_header = _("销管 · 系统配置")
admin.site.site_title = _("销管")
admin.site.index_title = _("系统配置")


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "parent", "external_id", "path")
    list_filter = ("kind",)
    search_fields = ("name", "external_id")
    readonly_fields = ("path",)
    autocomplete_fields = ("parent",)


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ("name", "email", "role", "team", "manager", "is_active", "is_staff")
    list_filter = ("role", "is_active", "is_staff", "team")
    list_select_related = ("team", "manager")
    search_fields = ("name", "email", "external_id", "phone")
    autocomplete_fields = ("team", "manager")
    fields = ("external_id", "name", "email", "phone", "role", "team", "manager", "hired_on", "is_active", "is_staff", "is_superuser",
              "groups", "user_permissions", "last_login", "date_joined")
    readonly_fields = ("last_login", "date_joined")
    filter_horizontal = ("groups", "user_permissions")


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ("user", "content_type", "object_id", "assigned_at")
    list_filter = ("content_type",)
    list_select_related = ("user", "content_type")
    autocomplete_fields = ("user",)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are created with `xiaoguan apitoken` (the key is shown once); here they can be seen and revoked."""

    list_display = ("prefix", "name", "user", "created_at", "last_used_at", "revoked_at")
    list_select_related = ("user",)
    readonly_fields = ("user", "name", "key_hash", "prefix", "created_at", "last_used_at")
    fields = ("user", "name", "prefix", "created_at", "last_used_at", "revoked_at", "key_hash")

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False
