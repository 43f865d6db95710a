"""Thin views: parse, call ``WalletService``/``WalletQueries``, show the answer.

Refusals become a form error (400), a 404 (another user's withdrawal looks like a missing one)
or a 403 (staff pages); never a 500.
"""

from dependency_injector.wiring import Provide, inject
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from containers import ApplicationContainer
from marketplace.forms import apply_service_error
from marketplace.wallets.forms import ApproveForm, RejectForm, WithdrawForm, new_idempotency_key
from marketplace.wallets.qr import address_qr_svg
from services.errors import NotFound, PermissionDenied, ServiceError
from services.money import format_btc

WALLET_SERVICE = Provide[ApplicationContainer.wallets.wallet_service]
WALLET_QUERIES = Provide[ApplicationContainer.wallets.wallet_queries]


@login_required
@require_GET
@inject
def wallet(request, service=WALLET_SERVICE, queries=WALLET_QUERIES):
    user_id = request.user.pk
    address = service.current_deposit_address(user_id=user_id)
    context = {
        "balance": queries.get_balance(user_id=user_id),
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
                f"Withdrawal of {format_btc(result.amount_sat)} BTC requested; staff will review it.",
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
    messages.success(request, "Withdrawal cancelled; the funds are back in your balance.")
    return redirect("wallets:wallet")


@login_required
@require_GET
@inject
def withdrawal_queue(request, queries=WALLET_QUERIES):
    return _queue_page(request, queries)


@login_required
@require_POST
@inject
def approve_withdrawal(request, withdrawal_id: int, service=WALLET_SERVICE, queries=WALLET_QUERIES):
    _staff_only(request)
    form = ApproveForm(request.POST)
    if form.is_valid():
        try:
            result = service.approve_withdrawal(
                staff_user_id=request.user.pk,
                withdrawal_id=withdrawal_id,
                txid=form.cleaned_data["txid"],
            )
        except ServiceError as error:
            return _queue_error(request, queries, withdrawal_id, form, error)
        messages.success(request, f"Withdrawal #{result.withdrawal_id} marked as sent.")
        return redirect("wallets:queue")
    return _queue_page(request, queries, failed=(withdrawal_id, form), status=400)


@login_required
@require_POST
@inject
def reject_withdrawal(request, withdrawal_id: int, service=WALLET_SERVICE, queries=WALLET_QUERIES):
    _staff_only(request)
    form = RejectForm(request.POST)
    if form.is_valid():
        try:
            result = service.reject_withdrawal(
                staff_user_id=request.user.pk,
                withdrawal_id=withdrawal_id,
                reason=form.cleaned_data["reason"],
            )
        except ServiceError as error:
            return _queue_error(request, queries, withdrawal_id, form, error)
        messages.success(
            request,
            f"Withdrawal #{result.withdrawal_id} rejected; the funds went back to the user.",
        )
        return redirect("wallets:queue")
    return _queue_page(request, queries, failed=(withdrawal_id, form), status=400)


def _queue_error(request, queries, withdrawal_id, form, error: ServiceError):
    if isinstance(error, NotFound):
        raise Http404(error.message)
    if isinstance(error, PermissionDenied):
        raise DjangoPermissionDenied(error.message)
    apply_service_error(form, error)
    return _queue_page(request, queries, failed=(withdrawal_id, form), status=400)


def _queue_page(request, queries, *, failed=None, status: int = 200):
    _staff_only(request)
    page = queries.withdrawal_queue(
        staff=request.user.is_staff,
        status=request.GET.get("status") or "pending",
        page=request.GET.get("page"),
    )
    context = {
        "page": page,
        "status": request.GET.get("status") or "pending",
        "counts": queries.queue_counts(),
        "failed_id": failed[0] if failed else None,
        "failed_form": failed[1] if failed else None,
    }
    return render(request, "wallets/queue.html", context, status=status)


def _staff_only(request) -> None:
    if not request.user.is_staff:
        raise DjangoPermissionDenied("Only staff can review withdrawals.")


def _status(form) -> int:
    return 400 if form.is_bound and form.errors else 200
