"""Orders in the admin, for support: read-only. Every change goes through the orders services
(and their ledger entries); staff rule on disputes from /orders/disputes/. Message threads are
not here: they are private to the order's parties (and staff once it is disputed)."""

from django.contrib import admin

from marketplace.orders.models import Dispute, Order, OrderEvent, OrderLine, Review


class ReadOnly:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class LineInline(ReadOnly, admin.TabularInline):
    model = OrderLine
    fields = ("product", "title", "price_sat", "quantity")


class EventInline(ReadOnly, admin.TabularInline):
    model = OrderEvent
    fields = ("created_at", "actor", "from_state", "to_state", "note", "entry")


@admin.register(Order)
class OrderAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("reference", "created_at", "buyer", "vendor", "state", "total_sat")
    list_filter = ("state",)
    search_fields = ("reference", "buyer__username", "vendor__shop_name")
    list_select_related = ("buyer", "vendor")
    inlines = [LineInline, EventInline]


@admin.register(Dispute)
class DisputeAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("order", "opened_at", "opened_by", "ruling", "resolved_at")
    list_filter = ("ruling",)
    list_select_related = ("order", "opened_by")


@admin.register(Review)
class ReviewAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("order", "rating", "created_at")
    list_select_related = ("order",)
