from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from marketplace.accounts.models import User
from services.staff_access import ROLES


class StaffRoleFilter(admin.SimpleListFilter):
    """Staff roles are groups (services/staff_access.py): filter by them, not by the bare is_staff flag."""

    title = "staff role"
    parameter_name = "role"

    def lookups(self, request, model_admin):
        return [(role, role) for role in ROLES]

    def queryset(self, request, queryset):
        return queryset.filter(groups__name=self.value()) if self.value() in ROLES else queryset


@admin.register(User)
class MarketplaceUserAdmin(UserAdmin):
    fieldsets = UserAdmin.fieldsets + (("Profile", {"fields": ("display_name", "bio")}),)
    list_display = ("username", "email", "display_name", "roles", "is_superuser", "is_active", "date_joined")
    list_filter = (StaffRoleFilter, "is_superuser", "is_active")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description="staff roles")
    def roles(self, user) -> str:
        return ", ".join(sorted(group.name for group in user.groups.all() if group.name in ROLES)) or "-"
