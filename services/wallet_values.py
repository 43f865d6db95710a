"""What ``WalletService`` answers with, and how it reads its arguments.

Kept apart from the service so the service file holds only use cases; these are data shapes and
parsers that change rarely (a hot reload of ``wallet_service`` keeps them, like ``money``).
"""

import ipaddress
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from services.errors import DepositError, EscrowError, NotFound
from services.ledger import AccountRef, PostedEntry, check_key

ORDER_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$")
TXID = re.compile(r"^[0-9a-f]{64}$")
BPS = 10_000

# What the wallets write to the staff audit log (StaffAudit), one action per staff decision.
AUDIT_ACTIONS = (
    "wallets.deposit_proposed",
    "wallets.deposit_confirmed",
    "wallets.deposit_rejected",
    "wallets.withdrawal_approved",
    "wallets.withdrawal_rejected",
    "wallets.entry_reversed",
)


@dataclass(frozen=True)
class WithdrawalResult:
    withdrawal_id: int
    status: str
    address: str
    amount_sat: int
    fee_sat: int
    txid: str
    entry: PostedEntry | None = None
    replayed: bool = False
    approvals: int = 0
    approvals_required: int = 1

    @property
    def total_sat(self) -> int:
        return self.amount_sat + self.fee_sat


@dataclass(frozen=True)
class DepositResult:
    deposit_id: int
    user_id: int
    txid: str
    vout: int
    amount_sat: int
    status: str
    replayed: bool = False
    check_status: str = ""
    check_detail: str = ""


@dataclass(frozen=True)
class ScanReport:
    backend: str
    credited: int
    pending: int
    removed: int
    ignored: int
    last_block: str
    needs_review: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()


def scoped_key(kind: str, key) -> str:
    """Callers' keys live in one namespace per kind, apart from the keys the service makes."""
    return f"{kind}:{check_key(key)}"


def _no_such(what: str) -> NotFound:
    # Whole sentences per kind: "deposit" and "withdrawal" take different articles elsewhere.
    messages = {
        "deposit": _("No such deposit."),
        "withdrawal": _("No such withdrawal."),
        "entry": _("No such entry."),
        "user": _("No such user."),
    }
    return NotFound(messages.get(what, _("Not found.")))


def positive_id(value, what: str) -> int:
    if isinstance(value, bool):
        raise _no_such(what)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise _no_such(what) from None
    if number <= 0 or number > 2**63 - 1 or (isinstance(value, float) and number != value):
        raise _no_such(what)
    return number


def user_id_of(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise NotFound(_("No user with id %(id)s.") % {"id": repr(value)}, field="user")
    return value


def order_ref_of(value) -> str:
    if not isinstance(value, str) or not ORDER_REF.match(value):
        raise EscrowError(
            _("An order reference is 1 to 100 letters, digits and . _ : - (starting with a letter or digit)."),
            field="order_ref",
        )
    return value


def bps_of(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= BPS:
        raise EscrowError(_("Commission is a whole number of basis points from 0 to 10000."), field="commission_bps")
    return value


def escrow_amount(ref: str, held: int, wanted: int | None) -> int:
    if wanted is None:
        if held <= 0:
            raise EscrowError(_("The escrow of order %(order)s is empty.") % {"order": ref})
        return held
    return wanted  # the ledger refuses it if the escrow holds less


def parse_txid(value) -> str:
    text = value.strip().lower() if isinstance(value, str) else ""
    if not TXID.match(text):
        raise DepositError(_("A transaction id is 64 hexadecimal characters."), field="txid")
    return text


def parse_vout(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**32:
        raise DepositError(_("The output index (vout) is a whole number from 0."), field="vout")
    return value


def reason_of(value, error_class) -> str:
    reason = value.strip() if isinstance(value, str) else ""
    if not reason or len(reason) > 200:
        raise error_class(_("Give a reason (at most 200 characters)."), field="reason")
    return reason


def client_ip_of(value) -> str:
    """An address for the audit log; anything that is not one is left out rather than stored."""
    try:
        return str(ipaddress.ip_address(value.strip())) if isinstance(value, str) and value else ""
    except ValueError:
        return ""


def ref_of(account) -> AccountRef:
    return AccountRef(account.code, account.kind, user_id=account.user_id, order_ref=account.order_ref)


def withdrawal_result(
    w,
    *,
    entry: PostedEntry | None = None,
    replayed: bool = False,
    approvals: int = 0,
    approvals_required: int | None = None,
) -> WithdrawalResult:
    return WithdrawalResult(
        withdrawal_id=w.pk,
        status=w.status,
        address=w.address,
        amount_sat=w.amount_sat,
        fee_sat=w.fee_sat,
        txid=w.txid,
        entry=entry,
        replayed=replayed,
        approvals=approvals,
        approvals_required=approvals_required or w.approvals_required,
    )


def deposit_result(d, *, replayed: bool) -> DepositResult:
    return DepositResult(
        deposit_id=d.pk,
        user_id=d.user_id,
        txid=d.txid,
        vout=d.vout,
        amount_sat=d.amount_sat,
        status=d.status,
        replayed=replayed,
        check_status=d.check_status,
        check_detail=d.check_detail,
    )
