"""The finance page: deposit proposals, withdrawals to approve, and the staff actions on money.

Thin views: forms parse, ``WalletService`` decides (four eyes included), and every action comes
back to this page with a message. Bad input is a 400 showing the form's error, an unknown id a
404; a refusal of the rules (your own proposal, a second approval of your own) is a message on
the page, not an error page. Only staff holding the capability reach a view at all (403 else).
"""

import functools

from dependency_injector.wiring import Provide, inject
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from containers import ApplicationContainer
from marketplace.access import staff_access, staff_required
from marketplace.client_ip import client_ip
from marketplace.forms import apply_service_error
from marketplace.wallets.forms import ApproveForm, ProposeDepositForm, RejectForm
from services.errors import ChainBackendError, NotFound, ServiceError
from services.money import format_btc
from services.staff_access import Capability
from services.wallet_values import AUDIT_ACTIONS

WALLET_SERVICE = Provide["wallets.wallet_service"]
WALLET_QUERIES = Provide["wallets.wallet_queries"]
STAFF_AUDIT = Provide[ApplicationContainer.core.staff_audit]
FINANCE = (Capability.HANDLE_DEPOSITS, Capability.HANDLE_WITHDRAWALS, Capability.AUDIT_LEDGER)


def any_finance_capability(view):
    """``staff_required`` for whichever finance capability the visitor holds (403 if none)."""
    guarded = {capability: staff_required(capability)(view) for capability in FINANCE}

    @functools.wraps(view)
    def pick(request, *args, **kwargs):
        held = staff_access().capabilities(request.user) if request.user.is_authenticated else frozenset()
        chosen = next((c for c in FINANCE if c in held), FINANCE[0])
        return guarded[chosen](request, *args, **kwargs)

    return pick


@any_finance_capability
@require_GET
@inject
def finance(request, service=WALLET_SERVICE, queries=WALLET_QUERIES, audit=STAFF_AUDIT):
    return _page(request, service, queries, audit)


@staff_required(Capability.HANDLE_DEPOSITS)
@require_POST
@inject
def propose_deposit(request, service=WALLET_SERVICE, queries=WALLET_QUERIES, audit=STAFF_AUDIT):
    form = ProposeDepositForm(request.POST)
    if not form.is_valid():
        return _page(request, service, queries, audit, propose_form=form, status=400)
    try:
        result = service.propose_deposit(
            staff_user_id=request.user.pk,
            user_id=form.cleaned_data["user"].pk,
            amount_sat=form.cleaned_data["amount"],
            txid=form.cleaned_data["txid"],
            vout=form.cleaned_data["vout"],
            client_ip=client_ip(request),
        )
    except ServiceError as error:
        apply_service_error(form, error)
        status = 503 if isinstance(error, ChainBackendError) else 400
        return _page(request, service, queries, audit, propose_form=form, status=status)
    if result.replayed:
        messages.info(
            request,
            _("Deposit #%(id)s (%(output)s) was already recorded.")
            % {"id": result.deposit_id, "output": f"{result.txid}:{result.vout}"},
        )
    else:
        messages.success(
            request,
            _("Deposit #%(id)s of %(amount)s BTC proposed; another member of staff must confirm it.")
            % {"id": result.deposit_id, "amount": format_btc(result.amount_sat)},
        )
    return redirect("wallets:finance")


@staff_required(Capability.HANDLE_DEPOSITS)
@require_POST
@inject
def confirm_deposit(request, deposit_id: int, service=WALLET_SERVICE):
    try:
        result = service.confirm_deposit(
            staff_user_id=request.user.pk, deposit_id=deposit_id, client_ip=client_ip(request)
        )
    except ServiceError as error:
        return _refused(request, error)
    done = (
        _("Deposit #%(id)s of %(amount)s BTC was already confirmed.")
        if result.replayed
        else _("Deposit #%(id)s of %(amount)s BTC confirmed and credited.")
    )
    messages.success(request, done % {"id": result.deposit_id, "amount": format_btc(result.amount_sat)})
    return redirect("wallets:finance")


@staff_required(Capability.HANDLE_DEPOSITS)
@require_POST
@inject
def reject_deposit(request, deposit_id: int, service=WALLET_SERVICE, queries=WALLET_QUERIES, audit=STAFF_AUDIT):
    form = RejectForm(request.POST)
    if form.is_valid():
        try:
            result = service.reject_deposit(
                staff_user_id=request.user.pk,
                deposit_id=deposit_id,
                reason=form.cleaned_data["reason"],
                client_ip=client_ip(request),
            )
        except ServiceError as error:
            return _refused(request, error, form=form, page=(service, queries, audit), row=f"Deposit #{deposit_id}")
        messages.success(request, _("Deposit #%(id)s rejected; nothing was credited.") % {"id": result.deposit_id})
        return redirect("wallets:finance")
    return _page(request, service, queries, audit, failed=(f"Deposit #{deposit_id}", form), status=400)


@staff_required(Capability.HANDLE_WITHDRAWALS)
@require_POST
@inject
def approve_withdrawal(request, withdrawal_id: int, service=WALLET_SERVICE, queries=WALLET_QUERIES, audit=STAFF_AUDIT):
    form = ApproveForm(request.POST)
    row = f"Withdrawal #{withdrawal_id}"
    if form.is_valid():
        try:
            result = service.approve_withdrawal(
                staff_user_id=request.user.pk,
                withdrawal_id=withdrawal_id,
                txid=form.cleaned_data["txid"],
                client_ip=client_ip(request),
            )
        except ServiceError as error:
            return _refused(request, error, form=form, page=(service, queries, audit), row=row)
        if result.status == "sent":
            messages.success(request, _("Withdrawal #%(id)s marked as sent.") % {"id": result.withdrawal_id})
        else:
            messages.success(
                request,
                _("Withdrawal #%(id)s approved (%(approvals)s of %(required)s); another member of staff sends it.")
                % {"id": result.withdrawal_id, "approvals": result.approvals, "required": result.approvals_required},
            )
        return redirect("wallets:finance")
    return _page(request, service, queries, audit, failed=(row, form), status=400)


@staff_required(Capability.HANDLE_WITHDRAWALS)
@require_POST
@inject
def reject_withdrawal(request, withdrawal_id: int, service=WALLET_SERVICE, queries=WALLET_QUERIES, audit=STAFF_AUDIT):
    form = RejectForm(request.POST)
    row = f"Withdrawal #{withdrawal_id}"
    if form.is_valid():
        try:
            result = service.reject_withdrawal(
                staff_user_id=request.user.pk,
                withdrawal_id=withdrawal_id,
                reason=form.cleaned_data["reason"],
                client_ip=client_ip(request),
            )
        except ServiceError as error:
            return _refused(request, error, form=form, page=(service, queries, audit), row=row)
        messages.success(
            request,
            _("Withdrawal #%(id)s rejected; the funds went back to the user.") % {"id": result.withdrawal_id},
        )
        return redirect("wallets:finance")
    return _page(request, service, queries, audit, failed=(row, form), status=400)


def _refused(request, error: ServiceError, *, form=None, page=None, row: str = ""):
    """Unknown id: 404. A field at fault: 400 with the form. Any other refusal: a message."""
    if isinstance(error, NotFound):
        raise Http404(error.message)
    if form is not None and error.errors:
        apply_service_error(form, error)
        return _page(request, *page, failed=(row, form), status=400)
    messages.error(request, error.message)
    return redirect("wallets:finance")


def _page(request, service, queries, audit, *, propose_form=None, failed=None, status: int = 200):
    held = staff_access().capabilities(request.user)
    config = service.get_required_config()
    context = {
        "can_deposits": Capability.HANDLE_DEPOSITS in held,
        "can_withdrawals": Capability.HANDLE_WITHDRAWALS in held,
        "can_audit": Capability.AUDIT_LEDGER in held,
        "backend": config["chain_backend"],
        "confirmations": config["deposit_confirmations"],
        "second_approval_sat": config["withdrawal_second_approval_sat"],
        "propose_form": propose_form or ProposeDepositForm(),
        "failed_row": failed[0] if failed else "",
        "failed_form": failed[1] if failed else None,
    }
    if context["can_deposits"]:
        context["proposals"] = queries.deposit_proposals()
    if context["can_withdrawals"]:
        context["withdrawals"] = queries.withdrawals_to_review()
    if context["can_audit"]:
        context["actions"] = audit.recent(limit=30, actions=AUDIT_ACTIONS)
    return render(request, "wallets/finance.html", context, status=status)
