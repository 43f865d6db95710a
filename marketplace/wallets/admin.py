"""The ledger in the admin: read-only, since entries are immutable and balances follow them.

Staff record a confirmed deposit (the manual chain backend) from the deposits list; the form
goes through ``WalletService.record_deposit`` like the management command.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from marketplace.fields import BtcAmountField
from marketplace.forms import apply_service_error
from marketplace.wallets.models import (
    Account,
    Deposit,
    DepositAddress,
    JournalEntry,
    Posting,
    Withdrawal,
)
from services.errors import ServiceError


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


class RecordDepositForm(forms.Form):
    user = forms.ModelChoiceField(
        queryset=get_user_model().objects.filter(is_active=True).order_by("username")
    )
    amount = BtcAmountField(label="Amount (BTC)")
    txid = forms.CharField(max_length=64, min_length=64, label="Transaction id")
    vout = forms.IntegerField(min_value=0, max_value=2**32 - 1, label="Output index (vout)")


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
        "credited_at",
    )
    list_filter = ("status", "source")
    search_fields = ("txid", "user__username")
    list_select_related = ("user",)
    change_list_template = "admin/wallets/deposit/change_list.html"

    def get_urls(self):
        record = self.admin_site.admin_view(self.record_view)
        return [path("record/", record, name="wallets_deposit_record"), *super().get_urls()]

    def record_view(self, request):
        from containers import container

        if not request.user.is_staff:
            return redirect("admin:login")
        form = RecordDepositForm(request.POST or None)
        status = 200
        if request.method == "POST" and form.is_valid():
            try:
                result = container.wallets.wallet_service().record_deposit(
                    user_id=form.cleaned_data["user"].pk,
                    amount_sat=form.cleaned_data["amount"],
                    txid=form.cleaned_data["txid"],
                    vout=form.cleaned_data["vout"],
                    recorded_by_id=request.user.pk,
                )
            except ServiceError as error:
                apply_service_error(form, error)
            else:
                verb = "was already recorded" if result.replayed else "recorded and credited"
                messages.success(request, f"Deposit {result.txid}:{result.vout} {verb}.")
                return redirect(reverse("admin:wallets_deposit_changelist"))
        if form.is_bound and form.errors:
            status = 400
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "title": "Record a confirmed deposit",
            "opts": self.model._meta,
        }
        return TemplateResponse(
            request, "admin/wallets/deposit/record.html", context, status=status
        )
