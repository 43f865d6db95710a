"""The wallet as JSON: balance, history, deposit address and withdrawals, through the same
services (and the same rules) as the wallet pages.

Withdrawals are guarded like the withdraw page. The site's own session must have given its
password again within the last few minutes (``marketplace/accounts/reauth.py``). A token is a
credential of its own, so a token whose owner has a second factor must send a current code from
the authenticator with each withdrawal (``code``); django-otp refuses a code at or before the last
one accepted, so a code cannot be used twice. The ``Idempotency-Key`` goes to the service, which
keeps one withdrawal per user and key: the same key again answers the same withdrawal, and
another user's identical key is another withdrawal.
"""

from datetime import datetime
from types import SimpleNamespace

from dependency_injector.wiring import Provide
from django.http import HttpResponse
from django.urls import reverse
from ninja import Field, Query, Schema, Status

from marketplace.accounts.reauth import RECENT_AUTH_SECONDS, has_recent_auth
from marketplace.api.auth import principal, scoped
from marketplace.api.errors import documented
from marketplace.api.idempotency import IdempotencyKey, replayable
from marketplace.api.routing import Router
from marketplace.api.schemas import Page, btc, page_of
from marketplace.api.wiring import injected
from marketplace.wallets.views import WALLET_QUERIES, WALLET_SERVICE
from services.errors import (
    NotFound,
    RecentAuthRequired,
    SecondFactorRejected,
    SecondFactorRequired,
    ServiceError,
    TwoFactorError,
)
from services.two_factor_service import TOTP_DIGITS, TwoFactorService
from services.user_service import UserService
from services.wallet_queries import WalletQueries
from services.wallet_service import WalletService

USER_SERVICE = Provide["accounts.user_service"]
TWO_FACTOR = Provide["accounts.two_factor_service"]
router = Router()

REPLAYED_HEADER = "Idempotent-Replayed"
WITHDRAWALS_SHOWN = 20
WITHDRAWALS_MAX = 100
MAX_ID = 2**63 - 1


# Schemas
class PendingDepositOut(Schema):
    txid: str
    vout: int
    amount_sat: int
    amount_btc: str
    confirmations: int
    first_seen_at: datetime


class WalletOut(Schema):
    available_sat: int
    available_btc: str
    pending_withdrawal_sat: int
    pending_withdrawal_btc: str
    pending_deposits: list[PendingDepositOut]
    network: str
    deposit_confirmations: int
    withdrawal_min_sat: int
    withdrawal_min_btc: str
    withdrawal_fee_sat: int
    withdrawal_fee_btc: str


class HistoryLineOut(Schema):
    entry_id: int
    kind: str
    kind_label: str
    amount_sat: int
    amount_btc: str
    account: str  # "user" (available) or "withdrawal" (pending withdrawals)
    memo: str
    order_ref: str
    created_at: datetime


class HistoryOut(Page):
    items: list[HistoryLineOut]


class DepositAddressOut(Schema):
    address: str
    uri: str
    network: str
    confirmations: int


class WithdrawalOut(Schema):
    id: int
    address: str
    amount_sat: int
    amount_btc: str
    fee_sat: int
    fee_btc: str
    total_sat: int
    total_btc: str
    status: str
    status_label: str
    txid: str
    note: str
    created_at: datetime
    reviewed_at: datetime | None


class WithdrawIn(Schema):
    address: str = Field(..., max_length=100)
    amount_sat: int
    code: str | None = Field(None, max_length=32, description="The current code of your authenticator app.")


class WithdrawalsParams(Schema):
    limit: int = Field(WITHDRAWALS_SHOWN, ge=1, le=WITHDRAWALS_MAX)


# Shapes
def _withdrawal(row) -> dict:
    return {
        "id": row.withdrawal_id,
        "address": row.address,
        "amount_sat": row.amount_sat,
        "amount_btc": btc(row.amount_sat),
        "fee_sat": row.fee_sat,
        "fee_btc": btc(row.fee_sat),
        "total_sat": row.total_sat,
        "total_btc": btc(row.total_sat),
        "status": row.status,
        "status_label": row.status_label,
        "txid": row.txid,
        "note": row.note,
        "created_at": row.created_at,
        "reviewed_at": row.reviewed_at,
    }


def _history_line(line) -> dict:
    return {
        "entry_id": line.entry_id,
        "kind": line.kind,
        "kind_label": line.kind_label,
        "amount_sat": line.amount_sat,
        "amount_btc": btc(line.amount_sat),
        "account": line.account_kind,
        "memo": line.memo,
        "order_ref": line.order_ref,
        "created_at": line.created_at,
    }


def _pager(page) -> SimpleNamespace:
    """A Django ``Page`` as ``page_of`` reads it (there ``has_next`` is a method)."""
    return SimpleNamespace(
        number=page.number,
        num_pages=page.paginator.num_pages,
        count=page.paginator.count,
        has_next=page.has_next(),
        has_previous=page.has_previous(),
    )


# Reads: wallet:read
@router.get("/wallet", response=documented(WalletOut), auth=scoped("wallet:read"))
@injected
def wallet(request, service: WalletService = WALLET_SERVICE, queries: WalletQueries = WALLET_QUERIES):
    """Your balance: available, on its way out (pending withdrawals), and deposits not yet confirmed."""
    user_id = principal(request).user_id
    balance = queries.get_balance(user_id=user_id)
    config = service.get_required_config()
    return {
        "available_sat": balance.available_sat,
        "available_btc": btc(balance.available_sat),
        "pending_withdrawal_sat": balance.pending_withdrawal_sat,
        "pending_withdrawal_btc": btc(balance.pending_withdrawal_sat),
        "pending_deposits": [
            {
                "txid": d.txid,
                "vout": d.vout,
                "amount_sat": d.amount_sat,
                "amount_btc": btc(d.amount_sat),
                "confirmations": d.confirmations,
                "first_seen_at": d.first_seen_at,
            }
            for d in queries.pending_deposits(user_id=user_id)
        ],
        "network": config["network"],
        "deposit_confirmations": config["deposit_confirmations"],
        "withdrawal_min_sat": config["withdrawal_min_sat"],
        "withdrawal_min_btc": btc(config["withdrawal_min_sat"]),
        "withdrawal_fee_sat": config["withdrawal_fee_sat"],
        "withdrawal_fee_btc": btc(config["withdrawal_fee_sat"]),
    }


@router.get("/wallet/history", response=documented(HistoryOut), auth=scoped("wallet:read"))
@injected
def history(request, page: int = 1, queries: WalletQueries = WALLET_QUERIES):
    """Every movement of your accounts, newest first (a page past the end is the last one)."""
    result = queries.history(user_id=principal(request).user_id, page=max(1, page))
    return page_of(_pager(result), [_history_line(line) for line in result.object_list])


@router.get("/wallet/deposit-address", response=documented(DepositAddressOut), auth=scoped("wallet:read"))
@injected
def deposit_address(request, service: WalletService = WALLET_SERVICE):
    """Where to send bitcoin: the newest address not yet paid (a new one once it is)."""
    address = service.current_deposit_address(user_id=principal(request).user_id)
    return {
        "address": address.address,
        "uri": f"bitcoin:{address.address}",  # what the page's QR code holds
        "network": service.network,
        "confirmations": service.deposit_confirmations,
    }


@router.get("/wallet/withdrawals", response=documented(list[WithdrawalOut]), auth=scoped("wallet:read"))
@injected
def withdrawals(request, params: Query[WithdrawalsParams], queries: WalletQueries = WALLET_QUERIES):
    """Your withdrawals, newest first (`limit`, 20 unless told, 100 at most)."""
    rows = queries.withdrawals(user_id=principal(request).user_id, limit=params.limit)
    return [_withdrawal(row) for row in rows]


@router.get("/wallet/withdrawals/{withdrawal_id}", response=documented(WithdrawalOut), auth=scoped("wallet:read"))
@injected
def withdrawal(request, withdrawal_id: int, queries: WalletQueries = WALLET_QUERIES):
    """One of your withdrawals (anyone else's is a 404)."""
    if not 0 < withdrawal_id <= MAX_ID:  # past a database integer: no such row, not a server error
        raise NotFound("No such withdrawal.")
    return _withdrawal(queries.withdrawal(user_id=principal(request).user_id, withdrawal_id=withdrawal_id))


# Withdrawals: wallet:withdraw
def _require_fresh_proof(request, code: str | None, users: UserService, two_factor: TwoFactorService) -> None:
    """The withdraw page's guard, for each kind of caller; nothing is moved when it refuses."""
    caller = principal(request)
    if caller.token_id is None:
        # The site's own session: the password (and the code, if any) again, lately, as the page asks.
        if not has_recent_auth(request):
            raise RecentAuthRequired(
                f"Confirm your password first ({reverse('accounts:reauth')}): withdrawals need it "
                f"given again within the last {RECENT_AUTH_SECONDS // 60} minutes."
            )
        return
    user = users.get_user_by_id(caller.user_id)
    if not (two_factor.has_device(user) or two_factor.is_required(user)):
        return
    if not two_factor.has_device(user):  # staff must have one; with none, nothing can prove it is them
        raise SecondFactorRequired("Turn two-factor sign-in on (on your account page) before withdrawing.")
    sent = "".join((code or "").split())
    if not sent:
        raise SecondFactorRequired(
            "Your account has two-factor sign-in: send the current code of your authenticator app as `code`.",
            field="code",
        )
    if len(sent) != TOTP_DIGITS or not sent.isdigit():
        # Recovery codes are for signing in on the site when the phone is lost, not for scripts.
        raise SecondFactorRejected(f"Send the {TOTP_DIGITS}-digit code of your authenticator app.", field="code")
    try:
        two_factor.verify(user, sent)
    except TwoFactorError as error:
        raise SecondFactorRejected(error.message, field="code") from None


def _api_fields(error: ServiceError) -> ServiceError:
    """The service names the amount `amount`; here it is `amount_sat`."""
    if error.field == "amount" or "amount" in error.errors:
        error.errors = {("amount_sat" if name == "amount" else name): v for name, v in error.errors.items()}
        if error.field == "amount":
            error.field = "amount_sat"
    return error


@router.post(
    "/wallet/withdrawals",
    response=documented({201: WithdrawalOut}),
    auth=scoped("wallet:withdraw"),
)
@injected
def request_withdrawal(
    request,
    payload: WithdrawIn,
    key: IdempotencyKey,
    response: HttpResponse,
    service: WalletService = WALLET_SERVICE,
    queries: WalletQueries = WALLET_QUERIES,
    users: UserService = USER_SERVICE,
    two_factor: TwoFactorService = TWO_FACTOR,
):
    """Send bitcoin out: the amount plus the network fee leave your available balance at once and
    wait for staff review. Needs an `Idempotency-Key`: the same key again answers the same
    withdrawal (header `Idempotent-Replayed: true`) and moves nothing. With a token, an account
    with two-factor sign-in sends the authenticator's current `code`; from the site, the password
    must have been confirmed within the last minutes."""
    _require_fresh_proof(request, payload.code, users, two_factor)
    user_id = principal(request).user_id
    try:
        # The service keeps one withdrawal per user and key (ledger key "withdraw:<user>:<key>").
        result = service.request_withdrawal(
            user_id=user_id, address=payload.address, amount_sat=payload.amount_sat, idempotency_key=key
        )
    except ServiceError as error:
        raise _api_fields(error) from None
    response[REPLAYED_HEADER] = "true" if result.replayed else "false"
    return Status(201, _withdrawal(queries.withdrawal(user_id=user_id, withdrawal_id=result.withdrawal_id)))


@router.post(
    "/wallet/withdrawals/{withdrawal_id}/cancel",
    response=documented(WithdrawalOut),
    auth=scoped("wallet:withdraw"),
)
@replayable
@injected
def cancel_withdrawal(
    request, withdrawal_id: int, service: WalletService = WALLET_SERVICE, queries: WalletQueries = WALLET_QUERIES
):
    """Take a withdrawal back while it is pending: the funds return to your available balance.
    Cancelling one already cancelled answers it again."""
    user_id = principal(request).user_id
    service.cancel_withdrawal(user_id=user_id, withdrawal_id=withdrawal_id)
    return _withdrawal(queries.withdrawal(user_id=user_id, withdrawal_id=withdrawal_id))
