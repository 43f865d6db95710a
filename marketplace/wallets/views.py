"""Thin views: parse, call ``WalletService``/``WalletQueries``, show the answer.

Refusals become a form error (400), a 404 (another user's withdrawal looks like a missing one)
or a 403 (staff pages); never a 500. Staff decisions live in ``finance_views``.
"""

from dependency_injector.wiring import Provide, inject
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from marketplace.access import staff_required
from marketplace.accounts.reauth import recent_auth_required
from marketplace.forms import apply_service_error
from marketplace.wallets.context_processors import remember_balance
from marketplace.wallets.forms import WithdrawForm, new_idempotency_key
from marketplace.wallets.qr import address_qr_svg
from services.errors import NotFound, ServiceError
from services.money import format_btc
from services.staff_access import Capability

WALLET_SERVICE = Provide["wallets.wallet_service"]
WALLET_QUERIES = Provide["wallets.wallet_queries"]


@login_required
@require_GET
@inject
def wallet(request, service=WALLET_SERVICE, queries=WALLET_QUERIES):
    user_id = request.user.pk
    address = service.current_deposit_address(user_id=user_id)
    balance = queries.get_balance(user_id=user_id)
    remember_balance(request, balance)  # the header shows it too
    context = {
        "balance": balance,
        "address": address,
        "qr_svg": address_qr_svg(address.address),
        "network": service.network,
        "confirmations": service.deposit_confirmations,
        "pending_deposits": queries.pending_deposits(user_id=user_id),
        "withdrawals": queries.withdrawals(user_id=user_id, limit=10),
        "history": queries.history(user_id=user_id, page=request.GET.get("page")),
    }
    return render(request, "wallets/wallet.html", context)


@login_required
@recent_auth_required
@require_http_methods(["GET", "POST"])
@inject
def withdraw(request, service=WALLET_SERVICE, queries=WALLET_QUERIES):
    config = service.get_required_config()
    form = WithdrawForm(request.POST or None, initial={"idempotency_key": new_idempotency_key()})
    if request.method == "POST" and form.is_valid():
        try:
            result = service.request_withdrawal(
                user_id=request.user.pk,
                address=form.cleaned_data["address"],
                amount_sat=form.cleaned_data["amount"],
                idempotency_key=form.cleaned_data["idempotency_key"],
            )
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            messages.success(
                request,
                _("Withdrawal of %(amount)s BTC requested; staff will review it.")
                % {"amount": format_btc(result.amount_sat)},
            )
            return redirect("wallets:wallet")
    context = {
        "form": form,
        "balance": queries.get_balance(user_id=request.user.pk),
        "min_sat": config["withdrawal_min_sat"],
        "fee_sat": config["withdrawal_fee_sat"],
        "network": config["network"],
    }
    return render(request, "wallets/withdraw.html", context, status=_status(form))


@login_required
@require_POST
@inject
def cancel_withdrawal(request, withdrawal_id: int, service=WALLET_SERVICE):
    try:
        service.cancel_withdrawal(user_id=request.user.pk, withdrawal_id=withdrawal_id)
    except NotFound:
        raise Http404("No such withdrawal.") from None
    except ServiceError as error:
        return render(request, "wallets/refused.html", {"message": error.message}, status=400)
    messages.success(request, _("Withdrawal cancelled; the funds are back in your balance."))
    return redirect("wallets:wallet")


@staff_required(Capability.HANDLE_WITHDRAWALS)
@require_GET
@inject
def withdrawal_queue(request, queries=WALLET_QUERIES):
    """Every withdrawal by status, for finance staff; decisions are taken on the finance page."""
    status = request.GET.get("status") or "pending"
    context = {
        "page": queries.withdrawal_queue(staff=True, status=status, page=request.GET.get("page")),
        "status": status,
        "counts": queries.queue_counts(),
    }
    return render(request, "wallets/queue.html", context)


def _status(form) -> int:
    return 400 if form.is_bound and form.errors else 200
