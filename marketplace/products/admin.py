"""Categories are edited here; products and reports are shown (changes go through the services)."""

from dependency_injector.wiring import Provide, inject
from django.contrib import admin

from marketplace.products.models import Category, Product, ProductReport


@inject
def categories_changed(catalog=Provide["products.catalog_service"]) -> None:
    catalog.categories_changed()


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "parent", "position")
    prepopulated_fields = {"slug": ("name",)}

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        categories_changed()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        categories_changed()

    def has_delete_permission(self, request, obj=None):
        # The role's permission first; then a category still holding products stays.
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or not obj.products.exists())


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Product)
class ProductAdmin(ReadOnly):
    list_display = ("title", "vendor", "category", "price_sat", "stock", "is_active", "moderation", "deleted_at")
    list_filter = ("moderation", "is_active")
    search_fields = ("title",)
    list_select_related = ("vendor", "category")


@admin.register(ProductReport)
class ProductReportAdmin(ReadOnly):
    list_display = ("product", "reason", "state", "created_at")
    list_filter = ("state", "reason")
    list_select_related = ("product",)
