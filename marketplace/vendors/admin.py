"""Shops in the admin, to look at: decisions go through the staff pages (and ``VendorService``)."""

from django.contrib import admin

from marketplace.vendors.models import Vendor


@admin.register(Vendor)
class VendorAdmin(admin.ModelAdmin):
    list_display = ("shop_name", "slug", "user", "status", "suspended_at", "created_at")
    list_filter = ("status",)
    search_fields = ("shop_name", "slug", "user__username")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
