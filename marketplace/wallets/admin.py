"""The ledger in the admin: read-only, since entries are immutable and balances follow them.

Deposits are proposed and confirmed on the finance page (``/wallets/finance/``), where four
eyes apply and each decision is audited; the deposits list links there.
"""

from django.contrib import admin

from marketplace.wallets.models import (
    Account,
    Deposit,
    DepositAddress,
    JournalEntry,
    Posting,
    Withdrawal,
    WithdrawalApproval,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PostingInline(admin.TabularInline):
    model = Posting
    fields = ("account", "amount_sat")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ("code", "kind", "user", "order_ref", "balance_sat", "created_at")
    list_filter = ("kind",)
    search_fields = ("code", "user__username", "order_ref")
    list_select_related = ("user",)


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "kind",
        "idempotency_key",
        "order_ref",
        "memo",
        "created_by",
        "created_at",
    )
    list_filter = ("kind",)
    search_fields = ("idempotency_key", "order_ref", "memo")
    list_select_related = ("created_by",)
    inlines = [PostingInline]


@admin.register(DepositAddress)
class DepositAddressAdmin(ReadOnlyAdmin):
    list_display = ("address", "user", "index", "key_fingerprint", "created_at", "used_at")
    search_fields = ("address", "user__username")
    list_select_related = ("user",)


class WithdrawalApprovalInline(admin.TabularInline):
    model = WithdrawalApproval
    fields = ("approver", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Withdrawal)
class WithdrawalAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "user",
        "address",
        "amount_sat",
        "fee_sat",
        "status",
        "txid",
        "created_at",
        "reviewed_by",
    )
    list_filter = ("status",)
    search_fields = ("address", "txid", "user__username")
    list_select_related = ("user", "reviewed_by")
    inlines = [WithdrawalApprovalInline]


@admin.register(Deposit)
class DepositAdmin(ReadOnlyAdmin):
    list_display = (
        "txid",
        "vout",
        "user",
        "amount_sat",
        "status",
        "confirmations",
        "source",
        "recorded_by",
        "reviewed_by",
        "credited_at",
    )
    list_filter = ("status", "source")
    search_fields = ("txid", "user__username")
    list_select_related = ("user", "recorded_by", "reviewed_by")
    change_list_template = "admin/wallets/deposit/change_list.html"
