"""Wallets: the custodial bitcoin ledger's use cases, in integer satoshis.

Every money movement is one balanced journal entry written by ``Ledger.post`` under an
idempotency key: calling a method again with the same key returns the first result
(``replayed=True``) and moves nothing; the same key with other parameters is refused.

Escrow primitives (``hold``, ``release``, ``refund``, ``split``) are what the orders module calls,
inside its own transaction if it has one: each runs in a savepoint then, so a refusal leaves the
caller's transaction usable and an accepted entry commits or rolls back with the caller's.
"""

import logging
import re
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from marketplace.wallets.models import (
    ChainCursor,
    Deposit,
    DepositAddress,
    DerivationCursor,
    JournalEntry,
    Withdrawal,
)
from services.bitcoin_addresses import DerivedAddress, normalize_address
from services.errors import (
    DepositError,
    EscrowError,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidAddress,
    NotFound,
    PermissionDenied,
    WalletError,
    WithdrawalError,
)
from services.ledger import (
    ASSET,
    FEES,
    AccountRef,
    PostedEntry,
    check_amount,
    check_key,
    escrow_account,
    user_account,
    withdrawal_account,
)
from services.money import format_btc

log = logging.getLogger(__name__)

ORDER_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$")
TXID = re.compile(r"^[0-9a-f]{64}$")
BPS = 10_000
REVERSIBLE = {JournalEntry.Kind.DEPOSIT, JournalEntry.Kind.TRANSFER}


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


class WalletService:
    def __init__(
        self,
        *,
        ledger,
        chain,
        deposit_key,
        events,
        clock,
        network: str,
        deposit_confirmations: int,
        withdrawal_min_sat: int,
        withdrawal_fee_sat: int,
    ):
        self._ledger = ledger
        self._chain = chain
        self._key = deposit_key
        self._events = events
        self._clock = clock
        self.network = network
        self.deposit_confirmations = int(deposit_confirmations)
        self.withdrawal_min_sat = check_amount(int(withdrawal_min_sat), field="withdrawal_min_sat")
        self.withdrawal_fee_sat = check_amount(
            int(withdrawal_fee_sat), field="withdrawal_fee_sat", allow_zero=True
        )

    def get_required_config(self) -> dict:
        return {
            "network": self.network,
            "chain_backend": self._chain.name,
            "deposit_confirmations": self.deposit_confirmations,
            "withdrawal_min_sat": self.withdrawal_min_sat,
            "withdrawal_fee_sat": self.withdrawal_fee_sat,
            **self._key.describe(),
        }

    # transfers between users
    def transfer(
        self,
        *,
        sender_id: int,
        recipient_id: int,
        amount_sat: int,
        idempotency_key: str,
        memo: str = "",
    ) -> PostedEntry:
        """Move ``amount_sat`` from one user's available balance to another's."""
        amount = check_amount(amount_sat)
        sender, recipient = _user_id(sender_id), _user_id(recipient_id)
        if sender == recipient:
            raise WalletError("Sender and recipient are the same user.", field="recipient")
        return self._ledger.post(
            kind=JournalEntry.Kind.TRANSFER,
            idempotency_key=_scoped(JournalEntry.Kind.TRANSFER, idempotency_key),
            request={"sender": sender, "recipient": recipient, "amount": amount, "memo": memo},
            accounts=[user_account(sender), user_account(recipient)],
            plan=[(user_account(sender), -amount), (user_account(recipient), amount)],
            memo=memo,
        )

    # escrow primitives (the orders module's API)
    def hold(
        self, *, buyer_id: int, order_ref: str, amount_sat: int, idempotency_key: str
    ) -> PostedEntry:
        """Buyer's available balance -> the order's escrow. ``InsufficientFunds`` if it cannot."""
        amount = check_amount(amount_sat)
        buyer, ref = _user_id(buyer_id), _order_ref(order_ref)
        return self._ledger.post(
            kind=JournalEntry.Kind.HOLD,
            idempotency_key=_scoped(JournalEntry.Kind.HOLD, idempotency_key),
            request={"buyer": buyer, "order": ref, "amount": amount},
            accounts=[user_account(buyer), escrow_account(ref)],
            plan=[(user_account(buyer), -amount), (escrow_account(ref), amount)],
            order_ref=ref,
        )

    def release(
        self,
        *,
        order_ref: str,
        vendor_id: int,
        commission_bps: int,
        idempotency_key: str,
        amount_sat: int | None = None,
    ) -> PostedEntry:
        """Escrow -> vendor, less ``commission_bps`` (basis points, rounded down) -> platform fees.

        One entry. ``amount_sat=None`` releases everything the escrow holds.
        """
        ref, vendor = _order_ref(order_ref), _user_id(vendor_id)
        bps = _bps(commission_bps)
        wanted = None if amount_sat is None else check_amount(amount_sat)
        escrow, vendor_acct = escrow_account(ref), user_account(vendor)

        def plan(balances):
            amount = _escrow_amount(ref, balances.get(escrow.code, 0), wanted)
            commission = amount * bps // BPS
            return [(escrow, -amount), (vendor_acct, amount - commission), (FEES, commission)]

        return self._ledger.post(
            kind=JournalEntry.Kind.RELEASE,
            idempotency_key=_scoped(JournalEntry.Kind.RELEASE, idempotency_key),
            request={"order": ref, "vendor": vendor, "bps": bps, "amount": wanted},
            accounts=[escrow, vendor_acct, FEES],
            plan=plan,
            order_ref=ref,
        )

    def refund(
        self, *, order_ref: str, buyer_id: int, idempotency_key: str, amount_sat: int | None = None
    ) -> PostedEntry:
        """Escrow -> buyer. ``amount_sat=None`` refunds everything the escrow holds."""
        ref, buyer = _order_ref(order_ref), _user_id(buyer_id)
        wanted = None if amount_sat is None else check_amount(amount_sat)
        escrow, buyer_acct = escrow_account(ref), user_account(buyer)

        def plan(balances):
            amount = _escrow_amount(ref, balances.get(escrow.code, 0), wanted)
            return [(escrow, -amount), (buyer_acct, amount)]

        return self._ledger.post(
            kind=JournalEntry.Kind.REFUND,
            idempotency_key=_scoped(JournalEntry.Kind.REFUND, idempotency_key),
            request={"order": ref, "buyer": buyer, "amount": wanted},
            accounts=[escrow, buyer_acct],
            plan=plan,
            order_ref=ref,
        )

    def split(
        self,
        *,
        order_ref: str,
        buyer_id: int,
        vendor_id: int,
        buyer_sat: int,
        commission_bps: int,
        idempotency_key: str,
    ) -> PostedEntry:
        """Settle a dispute: ``buyer_sat`` back to the buyer, the rest of the escrow to the vendor
        less commission on the vendor's part. One entry; the escrow ends empty."""
        ref, buyer, vendor = _order_ref(order_ref), _user_id(buyer_id), _user_id(vendor_id)
        to_buyer = check_amount(buyer_sat, field="buyer_sat")
        bps = _bps(commission_bps)
        if buyer == vendor:
            raise EscrowError("Buyer and vendor are the same user.")
        escrow, buyer_acct, vendor_acct = (
            escrow_account(ref),
            user_account(buyer),
            user_account(vendor),
        )

        def plan(balances):
            held = balances.get(escrow.code, 0)
            if to_buyer >= held:
                raise EscrowError(
                    f"The escrow of order {ref} holds {format_btc(held)} BTC: a split gives the buyer "
                    f"less than that (use a refund to return it all)."
                )
            to_vendor = held - to_buyer
            commission = to_vendor * bps // BPS
            return [
                (escrow, -held),
                (buyer_acct, to_buyer),
                (vendor_acct, to_vendor - commission),
                (FEES, commission),
            ]

        return self._ledger.post(
            kind=JournalEntry.Kind.SPLIT,
            idempotency_key=_scoped(JournalEntry.Kind.SPLIT, idempotency_key),
            request={
                "order": ref,
                "buyer": buyer,
                "vendor": vendor,
                "buyer_sat": to_buyer,
                "bps": bps,
            },
            accounts=[escrow, buyer_acct, vendor_acct, FEES],
            plan=plan,
            order_ref=ref,
        )

    # deposits
    def record_deposit(
        self,
        *,
        user_id: int,
        amount_sat: int,
        txid: str,
        vout: int,
        recorded_by_id: int | None = None,
    ) -> DepositResult:
        """A confirmed deposit recorded by staff (the ``manual`` backend). Idempotent on (txid, vout)."""
        if not self._chain.accepts_manual_deposits:
            raise DepositError(
                f"The {self._chain.name} backend credits deposits from the node: run scan_deposits."
            )
        amount = check_amount(amount_sat)
        user = self._active_user_id(user_id)
        txid, vout = _txid(txid), _vout(vout)
        if recorded_by_id is not None:
            self._require_staff(recorded_by_id)

        def save(posted: PostedEntry) -> None:
            now = self._clock.now()
            Deposit.objects.create(
                user_id=user,
                txid=txid,
                vout=vout,
                amount_sat=amount,
                status=Deposit.Status.CREDITED,
                confirmations=self.deposit_confirmations,
                source=self._chain.name,
                entry_id=posted.entry_id,
                recorded_by_id=recorded_by_id,
                first_seen_at=now,
                credited_at=now,
                updated_at=now,
            )

        try:
            posted = self._credit(user, amount, txid, vout, on_posted=save)
        except IdempotencyConflict:
            raise DepositError(
                f"Output {txid}:{vout} was already recorded, for another user or amount.",
                field="txid",
            ) from None
        deposit = Deposit.objects.get(txid=txid, vout=vout)
        if not posted.replayed:
            self._events.publish(
                "wallets.deposit_credited", user_id=user, amount_sat=amount, deposit_id=deposit.pk
            )
        return _deposit_result(deposit, replayed=posted.replayed)

    def scan_deposits(self) -> ScanReport:
        """One poll of the chain backend: credit what has enough confirmations, list the rest as
        pending, drop pending deposits the node reports removed (a reorg). Safe to repeat."""
        backend = self._chain.name
        cursor, _ = ChainCursor.objects.get_or_create(backend=backend)
        scan = self._chain.poll(since=cursor.last_block)
        counts = {"credited": 0, "pending": 0, "removed": 0, "ignored": 0}
        review: list[str] = []
        addresses = dict(
            DepositAddress.objects.filter(
                address__in={o.address for o in scan.transactions + scan.removed}
            ).values_list("address", "id")
        )
        for observation in scan.transactions:
            if observation.address not in addresses:
                counts["ignored"] += 1
                continue
            counts[self._observe(observation, addresses[observation.address])] += 1
        for observation in scan.removed:
            outcome = self._drop(observation)
            if outcome == "needs_review":
                review.append(
                    f"{observation.txid}:{observation.vout} was credited, then removed from the chain"
                )
            elif outcome:
                counts["removed"] += 1
        ChainCursor.objects.filter(pk=cursor.pk).update(
            last_block=scan.last_block, updated_at=self._clock.now()
        )
        for problem in review:
            log.error("deposit needs review: %s", problem)
        return ScanReport(
            backend=backend,
            last_block=scan.last_block,
            needs_review=tuple(review),
            skipped=scan.skipped,
            **counts,
        )

    def _observe(self, observation, address_id: int) -> str:
        with transaction.atomic():
            address = DepositAddress.objects.select_for_update().get(pk=address_id)
            deposit = (
                Deposit.objects.select_for_update()
                .filter(txid=observation.txid, vout=observation.vout)
                .first()
            )
            now = self._clock.now()
            if deposit is None:
                deposit = Deposit.objects.create(
                    user_id=address.user_id,
                    address=address,
                    txid=observation.txid,
                    vout=observation.vout,
                    amount_sat=observation.amount_sat,
                    confirmations=observation.confirmations,
                    source=self._chain.name,
                    first_seen_at=now,
                    updated_at=now,
                )
            elif deposit.amount_sat != observation.amount_sat or deposit.user_id != address.user_id:
                raise DepositError(
                    f"the node reports {observation.txid}:{observation.vout} with another amount or "
                    f"address than recorded: refusing to guess"
                )
            if address.used_at is None:
                DepositAddress.objects.filter(pk=address.pk).update(used_at=now)
            if (
                deposit.status == Deposit.Status.CREDITED
                or deposit.status == Deposit.Status.REVERSED
            ):
                Deposit.objects.filter(pk=deposit.pk).update(
                    confirmations=observation.confirmations, updated_at=now
                )
                return "ignored"
            if observation.confirmations < 0:  # conflicted: double-spent by another transaction
                Deposit.objects.filter(pk=deposit.pk).update(
                    status=Deposit.Status.REMOVED,
                    confirmations=observation.confirmations,
                    updated_at=now,
                )
                return "removed"
            if observation.confirmations < self.deposit_confirmations:
                Deposit.objects.filter(pk=deposit.pk).update(
                    status=Deposit.Status.PENDING,
                    confirmations=observation.confirmations,
                    updated_at=now,
                )
                return "pending"

            def credited(posted: PostedEntry) -> None:
                Deposit.objects.filter(pk=deposit.pk).update(
                    status=Deposit.Status.CREDITED,
                    confirmations=observation.confirmations,
                    entry_id=posted.entry_id,
                    credited_at=now,
                    updated_at=now,
                )

            self._credit(
                deposit.user_id, deposit.amount_sat, deposit.txid, deposit.vout, on_posted=credited
            )
            self._events.publish(
                "wallets.deposit_credited",
                user_id=deposit.user_id,
                amount_sat=deposit.amount_sat,
                deposit_id=deposit.pk,
            )
            return "credited"

    def _drop(self, observation) -> str:
        with transaction.atomic():
            deposit = (
                Deposit.objects.select_for_update()
                .filter(txid=observation.txid, vout=observation.vout)
                .first()
            )
            if deposit is None:
                return ""
            if deposit.status == Deposit.Status.PENDING:
                Deposit.objects.filter(pk=deposit.pk).update(
                    status=Deposit.Status.REMOVED, confirmations=0, updated_at=self._clock.now()
                )
                return "removed"
            if deposit.status == Deposit.Status.CREDITED:
                return "needs_review"
            return ""

    def _credit(self, user: int, amount: int, txid: str, vout: int, *, on_posted) -> PostedEntry:
        return self._ledger.post(
            kind=JournalEntry.Kind.DEPOSIT,
            idempotency_key=f"deposit:{txid}:{vout}",
            request={"user": user, "amount": amount, "txid": txid, "vout": vout},
            accounts=[ASSET, user_account(user)],
            plan=[(ASSET, -amount), (user_account(user), amount)],
            memo=f"{txid}:{vout}",
            on_posted=on_posted,
        )

    def current_deposit_address(self, *, user_id: int) -> DerivedAddress:
        """The user's receive address: the newest one not yet paid, or a new one."""
        user = self._active_user_id(user_id)
        current = (
            DepositAddress.objects.filter(
                user_id=user, key_fingerprint=self._key.fingerprint, used_at__isnull=True
            )
            .order_by("-id")
            .values_list("index", "address")
            .first()
        )
        if current:
            return DerivedAddress(index=current[0], address=current[1])
        return self._allocate_address(user)

    def _allocate_address(self, user: int) -> DerivedAddress:
        with transaction.atomic():
            cursor, _ = DerivationCursor.objects.get_or_create(
                key_fingerprint=self._key.fingerprint
            )
            cursor = DerivationCursor.objects.select_for_update().get(pk=cursor.pk)
            # Never reuse an index, even one handed out before this cursor existed.
            taken = (
                DepositAddress.objects.filter(key_fingerprint=self._key.fingerprint)
                .order_by("-index")
                .first()
            )
            index = max(cursor.next_index, taken.index + 1 if taken else 0)
            derived = self._key.address(index)
            DepositAddress.objects.create(
                user_id=user,
                key_fingerprint=self._key.fingerprint,
                index=index,
                address=derived.address,
                created_at=self._clock.now(),
            )
            DerivationCursor.objects.filter(pk=cursor.pk).update(next_index=index + 1)
        return derived

    # withdrawals
    def request_withdrawal(
        self, *, user_id: int, address: str, amount_sat: int, idempotency_key: str
    ) -> WithdrawalResult:
        """Funds (amount + network fee) move to pending withdrawals at once, until staff review."""
        user = _user_id(user_id)
        key = check_key(idempotency_key)
        amount = check_amount(amount_sat, field="amount")
        if amount < self.withdrawal_min_sat:
            raise WithdrawalError(
                f"The smallest withdrawal is {format_btc(self.withdrawal_min_sat)} BTC.",
                field="amount",
            )
        destination = normalize_address(address, network=self.network)
        if DepositAddress.objects.filter(address=destination).exists():
            raise InvalidAddress(
                "That address is a deposit address of this marketplace: send a transfer instead.",
                field="address",
            )
        fee = self.withdrawal_fee_sat
        total = check_amount(amount + fee, field="amount")
        source, pending = user_account(user), withdrawal_account(user)

        def save(posted: PostedEntry) -> None:
            Withdrawal.objects.create(
                user_id=user,
                address=destination,
                amount_sat=amount,
                fee_sat=fee,
                idempotency_key=key,
                request_entry_id=posted.entry_id,
                created_at=self._clock.now(),
            )

        try:
            posted = self._ledger.post(
                kind=JournalEntry.Kind.WITHDRAWAL_REQUEST,
                idempotency_key=f"withdraw:{user}:{key}",
                request={"user": user, "address": destination, "amount": amount, "fee": fee},
                accounts=[source, pending],
                plan=[(source, -total), (pending, total)],
                memo=destination,
                on_posted=save,
            )
        except InsufficientFunds as exc:
            raise InsufficientFunds(
                f"{exc.message} (the amount plus the {format_btc(fee)} BTC network fee)",
                field="amount",
            ) from None
        except IdempotencyConflict:
            raise WithdrawalError(
                "This withdrawal form was already sent with other details; reload the page.",
                field="amount",
            ) from None
        withdrawal = Withdrawal.objects.get(request_entry_id=posted.entry_id)
        if not posted.replayed:
            self._events.publish(
                "wallets.withdrawal_requested", user_id=user, withdrawal_id=withdrawal.pk
            )
        return _withdrawal_result(withdrawal, entry=posted, replayed=posted.replayed)

    def cancel_withdrawal(self, *, user_id: int, withdrawal_id: int) -> WithdrawalResult:
        """The user takes back their own pending withdrawal; the funds return to their balance."""
        user = _user_id(user_id)
        return self._settle(
            withdrawal_id,
            owner_id=user,
            status=Withdrawal.Status.CANCELLED,
            reviewer_id=None,
            note="cancelled by the user",
        )

    def approve_withdrawal(
        self, *, staff_user_id: int, withdrawal_id: int, txid: str
    ) -> WithdrawalResult:
        """Staff sent the bitcoin: the pending funds leave the ledger with the transaction id."""
        reviewer = self._require_staff(staff_user_id)
        return self._settle(
            withdrawal_id,
            owner_id=None,
            status=Withdrawal.Status.SENT,
            reviewer_id=reviewer,
            txid=_txid(txid),
        )

    def reject_withdrawal(
        self, *, staff_user_id: int, withdrawal_id: int, reason: str
    ) -> WithdrawalResult:
        """Staff refuse: the pending funds return to the user's available balance."""
        reviewer = self._require_staff(staff_user_id)
        reason = (reason or "").strip() if isinstance(reason, str) else ""
        if not reason or len(reason) > 200:
            raise WithdrawalError("Give a reason (at most 200 characters).", field="reason")
        return self._settle(
            withdrawal_id,
            owner_id=None,
            status=Withdrawal.Status.REJECTED,
            reviewer_id=reviewer,
            note=reason,
        )

    def _settle(
        self, withdrawal_id, *, owner_id, status, reviewer_id, txid: str = "", note: str = ""
    ):
        wid = _positive_id(withdrawal_id, "withdrawal")
        with transaction.atomic():
            rows = Withdrawal.objects.select_for_update().filter(pk=wid)
            if owner_id is not None:
                rows = rows.filter(
                    user_id=owner_id
                )  # another user's withdrawal does not exist for you
            withdrawal = rows.first()
            if withdrawal is None:
                raise NotFound("No such withdrawal.")
            if withdrawal.status != Withdrawal.Status.PENDING:
                if withdrawal.status == status and (
                    status != Withdrawal.Status.SENT or withdrawal.txid == txid
                ):
                    return _withdrawal_result(withdrawal, replayed=True)
                raise WithdrawalError(
                    f"This withdrawal is already {withdrawal.get_status_display().lower()}."
                )
            pending, total = withdrawal_account(withdrawal.user_id), withdrawal.total_sat
            target = ASSET if status == Withdrawal.Status.SENT else user_account(withdrawal.user_id)
            kind = (
                JournalEntry.Kind.WITHDRAWAL_SENT
                if status == Withdrawal.Status.SENT
                else JournalEntry.Kind.WITHDRAWAL_RETURN
            )
            posted = self._ledger.post(
                kind=kind,
                # One settlement per withdrawal, whichever comes first: the key says so.
                idempotency_key=f"withdrawal:{withdrawal.pk}:settle",
                request={"withdrawal": withdrawal.pk, "status": status, "txid": txid, "note": note},
                accounts=[pending, target],
                plan=[(pending, -total), (target, total)],
                memo=txid or note,
                created_by_id=reviewer_id,
            )
            now = self._clock.now()
            Withdrawal.objects.filter(pk=withdrawal.pk).update(
                status=status,
                txid=txid,
                note=note[:200],
                reviewed_by_id=reviewer_id,
                reviewed_at=now,
                settle_entry_id=posted.entry_id,
            )
            withdrawal.refresh_from_db()
            self._events.publish(
                f"wallets.withdrawal_{status}",
                user_id=withdrawal.user_id,
                withdrawal_id=withdrawal.pk,
            )
        return _withdrawal_result(withdrawal, entry=posted)

    # corrections
    def reverse_entry(self, *, staff_user_id: int, entry_id: int, reason: str) -> PostedEntry:
        """A reversing entry (postings negated) for a deposit or transfer recorded by mistake.

        Entries are never edited. Refused if a balance would go negative (the money was spent).
        """
        reviewer = self._require_staff(staff_user_id)
        eid = _positive_id(entry_id, "entry")
        reason = (reason or "").strip() if isinstance(reason, str) else ""
        if not reason or len(reason) > 200:
            raise WalletError("Give a reason (at most 200 characters).", field="reason")
        original = JournalEntry.objects.filter(pk=eid).first()
        if original is None:
            raise NotFound("No such journal entry.")
        if original.kind not in REVERSIBLE:
            raise WalletError(
                f"A {original.get_kind_display().lower()} entry is settled through its own flow, not reversed."
            )
        postings = list(original.postings.select_related("account"))
        refs = [_ref_of(p.account) for p in postings]
        with transaction.atomic():
            posted = self._ledger.post(
                kind=JournalEntry.Kind.REVERSAL,
                idempotency_key=f"reverse:{original.pk}",
                request={"entry": original.pk, "reason": reason},
                accounts=refs,
                plan=[
                    (ref, -p.amount_sat) for ref, p in zip(refs, postings, strict=True)
                ],
                memo=reason,
                created_by_id=reviewer,
                reverses_id=original.pk,
            )
            if original.kind == JournalEntry.Kind.DEPOSIT:
                Deposit.objects.filter(entry_id=original.pk).update(
                    status=Deposit.Status.REVERSED, updated_at=self._clock.now()
                )
        return posted

    # checks
    def _require_staff(self, user_id) -> int:
        uid = _positive_id(user_id, "user")
        if not get_user_model().objects.filter(pk=uid, is_staff=True, is_active=True).exists():
            raise PermissionDenied("Only staff can do that.")
        return uid

    def _active_user_id(self, user_id) -> int:
        uid = _positive_id(user_id, "user")
        if not get_user_model().objects.filter(pk=uid, is_active=True).exists():
            raise NotFound(f"No user with id {user_id!r}.", field="user")
        return uid


def _scoped(kind: str, key) -> str:
    """Callers' keys live in one namespace per kind, apart from the keys the service makes."""
    return f"{kind}:{check_key(key)}"


def _positive_id(value, what: str) -> int:
    if isinstance(value, bool):
        raise NotFound(f"No such {what}.")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise NotFound(f"No such {what}.") from None
    if number <= 0 or number > 2**63 - 1 or (isinstance(value, float) and number != value):
        raise NotFound(f"No such {what}.")
    return number


def _user_id(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise NotFound(f"No user with id {value!r}.", field="user")
    return value


def _order_ref(value) -> str:
    if not isinstance(value, str) or not ORDER_REF.match(value):
        raise EscrowError(
            "An order reference is 1 to 100 letters, digits and . _ : - (starting with a letter or digit).",
            field="order_ref",
        )
    return value


def _bps(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= BPS:
        raise EscrowError(
            "Commission is a whole number of basis points from 0 to 10000.", field="commission_bps"
        )
    return value


def _escrow_amount(ref: str, held: int, wanted: int | None) -> int:
    if wanted is None:
        if held <= 0:
            raise EscrowError(f"The escrow of order {ref} is empty.")
        return held
    return wanted  # the ledger refuses it if the escrow holds less


def _txid(value) -> str:
    text = value.strip().lower() if isinstance(value, str) else ""
    if not TXID.match(text):
        raise DepositError("A transaction id is 64 hexadecimal characters.", field="txid")
    return text


def _vout(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**32:
        raise DepositError("The output index (vout) is a whole number from 0.", field="vout")
    return value


def _ref_of(account) -> AccountRef:
    return AccountRef(
        account.code, account.kind, user_id=account.user_id, order_ref=account.order_ref
    )


def _withdrawal_result(
    w: Withdrawal, *, entry: PostedEntry | None = None, replayed: bool = False
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
    )


def _deposit_result(d: Deposit, *, replayed: bool) -> DepositResult:
    return DepositResult(
        deposit_id=d.pk,
        user_id=d.user_id,
        txid=d.txid,
        vout=d.vout,
        amount_sat=d.amount_sat,
        status=d.status,
        replayed=replayed,
    )
