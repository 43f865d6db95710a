"""Wallets: the custodial bitcoin ledger's use cases, in integer satoshis.

Every money movement is one balanced journal entry written by ``Ledger.post`` under an
idempotency key: calling a method again with the same key returns the first result
(``replayed=True``) and moves nothing; the same key with other parameters is refused.

Escrow primitives (``hold``, ``release``, ``refund``, ``split``) are what the orders module calls,
inside its own transaction if it has one: each runs in a savepoint then, so a refusal leaves the
caller's transaction usable and an accepted entry commits or rolls back with the caller's.

Staff decisions on money follow four eyes (``services/four_eyes.py``): a deposit recorded by
hand is a proposal until another holder of HANDLE_DEPOSITS confirms it; a withdrawal is approved
by someone other than its requester, by two different people above
``withdrawal_second_approval_sat``. Each decision writes a staff audit row in its own
transaction, so the record and the act commit together.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from marketplace.wallets.models import (
    ChainCursor,
    Deposit,
    DepositAddress,
    DerivationCursor,
    JournalEntry,
    Withdrawal,
    WithdrawalApproval,
)
from services.bitcoin_addresses import DerivedAddress, normalize_address
from services.errors import (
    DepositError,
    EscrowError,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidAddress,
    NotFound,
    WalletError,
    WithdrawalError,
)
from services.four_eyes import (
    approvals_needed,
    require_deposit_confirmer,
    require_not_own_entry,
    require_withdrawal_reviewer,
)
from services.ledger import (
    ASSET,
    FEES,
    PostedEntry,
    check_amount,
    check_key,
    escrow_account,
    user_account,
    withdrawal_account,
)
from services.money import format_btc
from services.staff_access import Capability
from services.staff_audit import Actor
from services.wallet_values import (
    BPS,
    DepositResult,
    ScanReport,
    WithdrawalResult,
    bps_of,
    client_ip_of,
    deposit_result,
    escrow_amount,
    order_ref_of,
    parse_txid,
    parse_vout,
    positive_id,
    reason_of,
    ref_of,
    scoped_key,
    user_id_of,
    withdrawal_result,
)

if TYPE_CHECKING:
    from services.bitcoin_addresses import DepositKey
    from services.ledger import Ledger
    from services.ports import ChainBackend, Clock, Events
    from services.staff_access import StaffAccess
    from services.staff_audit import StaffAudit

log = logging.getLogger(__name__)

REVERSIBLE = {JournalEntry.Kind.DEPOSIT, JournalEntry.Kind.TRANSFER}
__all__ = ["DepositResult", "ScanReport", "WalletService", "WithdrawalResult"]


class WalletService:
    def __init__(
        self,
        *,
        ledger: Ledger,
        chain: ChainBackend,
        deposit_key: DepositKey,
        events: Events,
        clock: Clock,
        staff_access: StaffAccess,
        staff_audit: StaffAudit,
        network: str,
        deposit_confirmations: int,
        withdrawal_min_sat: int,
        withdrawal_fee_sat: int,
        withdrawal_second_approval_sat: int,
    ):
        self._ledger = ledger
        self._chain = chain
        self._key = deposit_key
        self._events = events
        self._clock = clock
        self._staff = staff_access
        self._audit_log = staff_audit
        self.network = network
        self.deposit_confirmations = int(deposit_confirmations)
        self.withdrawal_min_sat = check_amount(int(withdrawal_min_sat), field="withdrawal_min_sat")
        self.withdrawal_fee_sat = check_amount(int(withdrawal_fee_sat), field="withdrawal_fee_sat", allow_zero=True)
        self.withdrawal_second_approval_sat = check_amount(
            int(withdrawal_second_approval_sat),
            field="withdrawal_second_approval_sat",
            allow_zero=True,
        )

    def get_required_config(self) -> dict:
        return {
            "network": self.network,
            "chain_backend": self._chain.name,
            "deposit_confirmations": self.deposit_confirmations,
            "withdrawal_min_sat": self.withdrawal_min_sat,
            "withdrawal_fee_sat": self.withdrawal_fee_sat,
            "withdrawal_second_approval_sat": self.withdrawal_second_approval_sat,
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
        sender, recipient = user_id_of(sender_id), user_id_of(recipient_id)
        if sender == recipient:
            raise WalletError(_("Sender and recipient are the same user."), field="recipient")
        return self._ledger.post(
            kind=JournalEntry.Kind.TRANSFER,
            idempotency_key=scoped_key(JournalEntry.Kind.TRANSFER, idempotency_key),
            request={"sender": sender, "recipient": recipient, "amount": amount, "memo": memo},
            accounts=[user_account(sender), user_account(recipient)],
            plan=[(user_account(sender), -amount), (user_account(recipient), amount)],
            memo=memo,
        )

    # escrow primitives (the orders module's API)
    def hold(self, *, buyer_id: int, order_ref: str, amount_sat: int, idempotency_key: str) -> PostedEntry:
        """Buyer's available balance -> the order's escrow. ``InsufficientFunds`` if it cannot."""
        amount = check_amount(amount_sat)
        buyer, ref = user_id_of(buyer_id), order_ref_of(order_ref)
        return self._ledger.post(
            kind=JournalEntry.Kind.HOLD,
            idempotency_key=scoped_key(JournalEntry.Kind.HOLD, idempotency_key),
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
        ref, vendor = order_ref_of(order_ref), user_id_of(vendor_id)
        bps = bps_of(commission_bps)
        wanted = None if amount_sat is None else check_amount(amount_sat)
        escrow, vendor_acct = escrow_account(ref), user_account(vendor)

        def plan(balances):
            amount = escrow_amount(ref, balances.get(escrow.code, 0), wanted)
            commission = amount * bps // BPS
            return [(escrow, -amount), (vendor_acct, amount - commission), (FEES, commission)]

        return self._ledger.post(
            kind=JournalEntry.Kind.RELEASE,
            idempotency_key=scoped_key(JournalEntry.Kind.RELEASE, idempotency_key),
            request={"order": ref, "vendor": vendor, "bps": bps, "amount": wanted},
            accounts=[escrow, vendor_acct, FEES],
            plan=plan,
            order_ref=ref,
        )

    def refund(
        self, *, order_ref: str, buyer_id: int, idempotency_key: str, amount_sat: int | None = None
    ) -> PostedEntry:
        """Escrow -> buyer. ``amount_sat=None`` refunds everything the escrow holds."""
        ref, buyer = order_ref_of(order_ref), user_id_of(buyer_id)
        wanted = None if amount_sat is None else check_amount(amount_sat)
        escrow, buyer_acct = escrow_account(ref), user_account(buyer)

        def plan(balances):
            amount = escrow_amount(ref, balances.get(escrow.code, 0), wanted)
            return [(escrow, -amount), (buyer_acct, amount)]

        return self._ledger.post(
            kind=JournalEntry.Kind.REFUND,
            idempotency_key=scoped_key(JournalEntry.Kind.REFUND, idempotency_key),
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
        ref, buyer, vendor = order_ref_of(order_ref), user_id_of(buyer_id), user_id_of(vendor_id)
        to_buyer = check_amount(buyer_sat, field="buyer_sat")
        bps = bps_of(commission_bps)
        if buyer == vendor:
            raise EscrowError(_("Buyer and vendor are the same user."))
        escrow, buyer_acct, vendor_acct = (
            escrow_account(ref),
            user_account(buyer),
            user_account(vendor),
        )

        def plan(balances):
            held = balances.get(escrow.code, 0)
            if to_buyer >= held:
                raise EscrowError(
                    _(
                        "The escrow of order %(order)s holds %(held)s BTC: a split gives the buyer "
                        "less than that (use a refund to return it all)."
                    )
                    % {"order": ref, "held": format_btc(held)}
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
            idempotency_key=scoped_key(JournalEntry.Kind.SPLIT, idempotency_key),
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

    # deposits recorded by hand: proposed by one person, confirmed by another
    def propose_deposit(
        self,
        *,
        staff_user_id: int,
        user_id: int,
        amount_sat: int,
        txid: str,
        vout: int,
        client_ip: str = "",
    ) -> DepositResult:
        """A deposit staff saw on chain: recorded as a proposal, credited by nobody yet.

        On a backend with a node, the output is checked first: one that pays someone else or
        another amount is refused; one short of confirmations waits for them. Proposing the
        same output with the same user and amount again is a replay.
        """
        proposer = self._staff.require(staff_user_id, Capability.HANDLE_DEPOSITS)
        amount = check_amount(amount_sat)
        user = self._active_user_id(user_id)
        txid, vout = parse_txid(txid), parse_vout(vout)
        live = self._live_deposit(txid, vout)
        if live is not None:
            return self._same_proposal(live, user, amount)
        check = self._check_output(user, amount, txid, vout)  # the node, before any lock
        if check.status == Deposit.Check.MISMATCH:
            raise DepositError(_("The node does not confirm it: %(detail)s") % {"detail": check.detail}, field="txid")
        now = self._clock.now()
        try:
            with transaction.atomic():
                deposit = Deposit.objects.create(
                    user_id=user,
                    txid=txid,
                    vout=vout,
                    amount_sat=amount,
                    status=Deposit.Status.PROPOSED,
                    confirmations=check.confirmations or 0,
                    source=self._chain.name,
                    recorded_by_id=proposer,
                    check_status=check.status,
                    check_detail=check.detail[:200],
                    checked_at=now,
                    first_seen_at=now,
                    updated_at=now,
                )
                self._audit(
                    proposer,
                    client_ip,
                    "wallets.deposit_proposed",
                    f"deposit #{deposit.pk} {txid}:{vout}",
                    {"user_id": user, "amount_sat": amount, "txid": txid, "vout": vout, "check": check.status},
                )
        except IntegrityError:  # the same output proposed at the same moment: one row won
            live = self._live_deposit(txid, vout)
            if live is None:
                raise
            return self._same_proposal(live, user, amount)
        return deposit_result(deposit, replayed=False)

    def confirm_deposit(self, *, staff_user_id: int, deposit_id: int, client_ip: str = "") -> DepositResult:
        """The second person: credits the proposal, once, if the node (when there is one) agrees.

        Neither the proposer nor the person credited may confirm. Two confirmations at once
        credit once: the proposal's row is locked and the entry's key is the output's.
        """
        confirmer = self._staff.require(staff_user_id, Capability.HANDLE_DEPOSITS)
        deposit = Deposit.objects.filter(pk=positive_id(deposit_id, "deposit")).first()
        if deposit is None:
            raise NotFound(_("No such deposit."))
        require_deposit_confirmer(
            actor_id=confirmer, proposer_id=deposit.recorded_by_id, beneficiary_id=deposit.user_id
        )
        if deposit.status != Deposit.Status.PROPOSED:
            return self._already_decided(deposit)
        check = self._check_output(deposit.user_id, deposit.amount_sat, deposit.txid, deposit.vout)
        now = self._clock.now()
        checked = {
            "check_status": check.status,
            "check_detail": check.detail[:200],
            "checked_at": now,
            "updated_at": now,
        }
        if not check.passed:
            # What the node said is kept for the finance page; nothing else changes.
            Deposit.objects.filter(pk=deposit.pk, status=Deposit.Status.PROPOSED).update(**checked)
            raise DepositError(_("Not confirmed: %(detail)s") % {"detail": check.detail})
        with transaction.atomic():
            deposit = Deposit.objects.select_for_update().get(pk=deposit.pk)
            if deposit.status != Deposit.Status.PROPOSED:
                return self._already_decided(deposit)

            def credited(posted: PostedEntry) -> None:
                Deposit.objects.filter(pk=deposit.pk).update(
                    status=Deposit.Status.CREDITED,
                    entry_id=posted.entry_id,
                    reviewed_by_id=confirmer,
                    reviewed_at=now,
                    credited_at=now,
                    confirmations=max(check.confirmations or 0, self.deposit_confirmations),
                    **checked,
                )

            try:
                posted = self._credit(
                    deposit.user_id,
                    deposit.amount_sat,
                    deposit.txid,
                    deposit.vout,
                    on_posted=credited,
                )
            except IdempotencyConflict:
                raise DepositError(
                    _("Output %(output)s was credited already, to another user or amount.") % {"output": deposit}
                ) from None
            if posted.replayed:
                raise DepositError(
                    _("Output %(output)s was credited already (entry #%(entry)s).")
                    % {"output": deposit, "entry": posted.entry_id}
                )
            self._audit(
                confirmer,
                client_ip,
                "wallets.deposit_confirmed",
                f"deposit #{deposit.pk} {deposit}",
                {
                    "user_id": deposit.user_id,
                    "amount_sat": deposit.amount_sat,
                    "proposed_by": deposit.recorded_by_id,
                    "entry_id": posted.entry_id,
                    "check": check.status,
                },
            )
            self._events.publish(
                "wallets.deposit_credited",
                user_id=deposit.user_id,
                amount_sat=deposit.amount_sat,
                deposit_id=deposit.pk,
            )
            deposit.refresh_from_db()
        return deposit_result(deposit, replayed=False)

    def reject_deposit(self, *, staff_user_id: int, deposit_id: int, reason: str, client_ip: str = "") -> DepositResult:
        """A proposal turned down; the output may be proposed again, corrected.

        Any holder of HANDLE_DEPOSITS may reject, its proposer included (to take back a typing
        mistake): a rejection moves no money, so it needs no second person, and it is audited.
        """
        actor = self._staff.require(staff_user_id, Capability.HANDLE_DEPOSITS)
        reason = reason_of(reason, DepositError)
        did = positive_id(deposit_id, "deposit")
        with transaction.atomic():
            deposit = Deposit.objects.select_for_update().filter(pk=did).first()
            if deposit is None:
                raise NotFound(_("No such deposit."))
            if deposit.status == Deposit.Status.REJECTED:
                return deposit_result(deposit, replayed=True)
            if deposit.status != Deposit.Status.PROPOSED:
                raise DepositError(
                    _("This deposit is %(status)s: only a proposal can be rejected.")
                    % {"status": deposit.get_status_display().lower()}
                )
            now = self._clock.now()
            Deposit.objects.filter(pk=deposit.pk).update(
                status=Deposit.Status.REJECTED,
                reviewed_by_id=actor,
                reviewed_at=now,
                note=reason,
                updated_at=now,
            )
            self._audit(
                actor,
                client_ip,
                "wallets.deposit_rejected",
                f"deposit #{deposit.pk} {deposit}",
                {
                    "user_id": deposit.user_id,
                    "amount_sat": deposit.amount_sat,
                    "proposed_by": deposit.recorded_by_id,
                    "reason": reason,
                },
            )
            deposit.refresh_from_db()
        return deposit_result(deposit, replayed=False)

    def _live_deposit(self, txid: str, vout: int):
        return Deposit.objects.filter(txid=txid, vout=vout).exclude(status=Deposit.Status.REJECTED).first()

    @staticmethod
    def _same_proposal(live, user: int, amount: int) -> DepositResult:
        if live.user_id != user or live.amount_sat != amount:
            raise DepositError(
                _("Output %(output)s was already recorded, for another user or amount.") % {"output": live},
                field="txid",
            )
        return deposit_result(live, replayed=True)

    @staticmethod
    def _already_decided(deposit) -> DepositResult:
        if deposit.status == Deposit.Status.CREDITED:
            return deposit_result(deposit, replayed=True)  # a second click, or a racing colleague
        raise DepositError(
            _("This deposit is %(status)s: there is nothing to confirm.")
            % {"status": deposit.get_status_display().lower()}
        )

    def _check_output(self, user: int, amount: int, txid: str, vout: int):
        addresses = DepositAddress.objects.filter(user_id=user).values_list("address", flat=True)
        return self._chain.verify_output(txid=txid, vout=vout, amount_sat=amount, addresses=list(addresses))

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
                review.append(f"{observation.txid}:{observation.vout} was credited, then removed from the chain")
            elif outcome:
                counts["removed"] += 1
        ChainCursor.objects.filter(pk=cursor.pk).update(last_block=scan.last_block, updated_at=self._clock.now())
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
                .exclude(status=Deposit.Status.REJECTED)
                .first()
            )
            now = self._clock.now()
            if deposit is not None and deposit.status == Deposit.Status.PROPOSED:
                deposit = self._adopt_proposal(deposit, observation, address, now)
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
            if deposit.status == Deposit.Status.CREDITED or deposit.status == Deposit.Status.REVERSED:
                Deposit.objects.filter(pk=deposit.pk).update(confirmations=observation.confirmations, updated_at=now)
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

            self._credit(deposit.user_id, deposit.amount_sat, deposit.txid, deposit.vout, on_posted=credited)
            self._events.publish(
                "wallets.deposit_credited",
                user_id=deposit.user_id,
                amount_sat=deposit.amount_sat,
                deposit_id=deposit.pk,
            )
            return "credited"

    def _adopt_proposal(self, deposit, observation, address, now):
        """The node reports an output staff proposed: it now follows the node like any deposit
        (the node is the second pair of eyes), unless it differs, when the proposal is rejected
        and the node's version recorded instead. Returns the row to go on with, or None."""
        if deposit.amount_sat == observation.amount_sat and deposit.user_id == address.user_id:
            Deposit.objects.filter(pk=deposit.pk).update(address=address, updated_at=now)
            deposit.address_id = address.pk
            return deposit
        Deposit.objects.filter(pk=deposit.pk).update(
            status=Deposit.Status.REJECTED,
            reviewed_at=now,
            note="The node reports this output with another amount or address.",
            updated_at=now,
        )
        log.warning("deposit proposal %s rejected: the node reports another amount or address", deposit)
        return None

    def _drop(self, observation) -> str:
        with transaction.atomic():
            deposit = (
                Deposit.objects.select_for_update()
                .filter(txid=observation.txid, vout=observation.vout)
                .exclude(status=Deposit.Status.REJECTED)
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
            DepositAddress.objects.filter(user_id=user, key_fingerprint=self._key.fingerprint, used_at__isnull=True)
            .order_by("-id")
            .values_list("index", "address")
            .first()
        )
        if current:
            return DerivedAddress(index=current[0], address=current[1])
        return self._allocate_address(user)

    def _allocate_address(self, user: int) -> DerivedAddress:
        with transaction.atomic():
            cursor, _ = DerivationCursor.objects.get_or_create(key_fingerprint=self._key.fingerprint)
            cursor = DerivationCursor.objects.select_for_update().get(pk=cursor.pk)
            # Never reuse an index, even one handed out before this cursor existed.
            taken = DepositAddress.objects.filter(key_fingerprint=self._key.fingerprint).order_by("-index").first()
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
        user = user_id_of(user_id)
        key = check_key(idempotency_key)
        amount = check_amount(amount_sat, field="amount")
        if amount < self.withdrawal_min_sat:
            raise WithdrawalError(
                _("The smallest withdrawal is %(minimum)s BTC.") % {"minimum": format_btc(self.withdrawal_min_sat)},
                field="amount",
            )
        destination = normalize_address(address, network=self.network)
        if DepositAddress.objects.filter(address=destination).exists():
            raise InvalidAddress(
                _("That address is a deposit address of this marketplace: send a transfer instead."),
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
                approvals_required=self._approvals_needed(amount),
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
                _("%(refusal)s (the amount plus the %(fee)s BTC network fee)")
                % {"refusal": exc.message, "fee": format_btc(fee)},
                field="amount",
            ) from None
        except IdempotencyConflict:
            raise WithdrawalError(
                _("This withdrawal form was already sent with other details; reload the page."),
                field="amount",
            ) from None
        withdrawal = Withdrawal.objects.get(request_entry_id=posted.entry_id)
        if not posted.replayed:
            self._events.publish("wallets.withdrawal_requested", user_id=user, withdrawal_id=withdrawal.pk)
        return withdrawal_result(withdrawal, entry=posted, replayed=posted.replayed)

    def cancel_withdrawal(self, *, user_id: int, withdrawal_id: int) -> WithdrawalResult:
        """The user takes back their own withdrawal until it is sent, approvals or not."""
        user = user_id_of(user_id)
        with transaction.atomic():
            # Another user's withdrawal does not exist for you.
            withdrawal = self._locked_withdrawal(withdrawal_id, owner_id=user)
            if withdrawal.status == Withdrawal.Status.CANCELLED:
                return withdrawal_result(withdrawal, replayed=True)
            self._require_pending(withdrawal)
            posted = self._settle(withdrawal, status=Withdrawal.Status.CANCELLED, note="cancelled by the user")
        return withdrawal_result(withdrawal, entry=posted)

    def approve_withdrawal(
        self, *, staff_user_id: int, withdrawal_id: int, txid: str = "", client_ip: str = ""
    ) -> WithdrawalResult:
        """One approval by someone other than the requester.

        Up to ``withdrawal_second_approval_sat`` one approval is enough; above it two different
        people approve. Approvals before the last one carry no transaction id (no bitcoin may
        leave before the quorum); the last approver sends the bitcoin and approves with its
        transaction id, which settles the withdrawal in the ledger.
        """
        approver = self._staff.require(staff_user_id, Capability.HANDLE_WITHDRAWALS)
        wid = positive_id(withdrawal_id, "withdrawal")
        blank = txid is None or (isinstance(txid, str) and not txid.strip())
        sent_txid = "" if blank else parse_txid(txid)
        with transaction.atomic():
            withdrawal = self._locked_withdrawal(wid)
            approvers = list(withdrawal.approvals.values_list("approver_id", flat=True))
            needed = self._approvals_needed(withdrawal.amount_sat, withdrawal.approvals_required)
            if (
                withdrawal.status == Withdrawal.Status.SENT
                and approver in approvers
                and sent_txid in ("", withdrawal.txid)
            ):
                return withdrawal_result(withdrawal, replayed=True, approvals=len(approvers), approvals_required=needed)
            require_withdrawal_reviewer(actor_id=approver, requester_id=withdrawal.user_id)
            self._require_pending(withdrawal)
            require_withdrawal_reviewer(actor_id=approver, requester_id=withdrawal.user_id, approver_ids=approvers)
            last = len(approvers) + 1 >= needed
            if last and not sent_txid:
                raise WithdrawalError(
                    _(
                        "Yours is the last approval this withdrawal needs: send the bitcoin, then "
                        "approve with the transaction id."
                    ),
                    field="txid",
                )
            if not last and sent_txid:
                raise WithdrawalError(
                    _(
                        "This withdrawal needs %(needed)s approvals before any bitcoin leaves: approve "
                        "it without a transaction id; the last approver sends it."
                    )
                    % {"needed": needed},
                    field="txid",
                )
            WithdrawalApproval.objects.create(withdrawal=withdrawal, approver_id=approver, created_at=self._clock.now())
            posted = None
            if last:
                posted = self._settle(withdrawal, status=Withdrawal.Status.SENT, reviewer_id=approver, txid=sent_txid)
            self._audit(
                approver,
                client_ip,
                "wallets.withdrawal_approved",
                f"withdrawal #{withdrawal.pk}",
                {
                    "user_id": withdrawal.user_id,
                    "amount_sat": withdrawal.amount_sat,
                    "fee_sat": withdrawal.fee_sat,
                    "address": withdrawal.address,
                    "approval": len(approvers) + 1,
                    "approvals_required": needed,
                    "sent": last,
                    "txid": sent_txid,
                },
            )
        return withdrawal_result(withdrawal, entry=posted, approvals=len(approvers) + 1, approvals_required=needed)

    def reject_withdrawal(
        self, *, staff_user_id: int, withdrawal_id: int, reason: str, client_ip: str = ""
    ) -> WithdrawalResult:
        """Staff refuse: the pending funds return to the user's available balance.

        One rejection is enough, even after a first approval: refusing moves money back to
        its owner, never out, so it needs no second person.
        """
        reviewer = self._staff.require(staff_user_id, Capability.HANDLE_WITHDRAWALS)
        reason = reason_of(reason, WithdrawalError)
        with transaction.atomic():
            withdrawal = self._locked_withdrawal(withdrawal_id)
            require_withdrawal_reviewer(actor_id=reviewer, requester_id=withdrawal.user_id)
            if withdrawal.status == Withdrawal.Status.REJECTED:
                return withdrawal_result(withdrawal, replayed=True)
            self._require_pending(withdrawal)
            posted = self._settle(withdrawal, status=Withdrawal.Status.REJECTED, reviewer_id=reviewer, note=reason)
            self._audit(
                reviewer,
                client_ip,
                "wallets.withdrawal_rejected",
                f"withdrawal #{withdrawal.pk}",
                {
                    "user_id": withdrawal.user_id,
                    "amount_sat": withdrawal.amount_sat,
                    "fee_sat": withdrawal.fee_sat,
                    "reason": reason,
                },
            )
        return withdrawal_result(withdrawal, entry=posted)

    def _approvals_needed(self, amount_sat: int, recorded: int = 1) -> int:
        return approvals_needed(
            amount_sat,
            second_approval_above_sat=self.withdrawal_second_approval_sat,
            recorded=recorded,
        )

    @staticmethod
    def _locked_withdrawal(withdrawal_id, *, owner_id: int | None = None) -> Withdrawal:
        rows = Withdrawal.objects.select_for_update().filter(pk=positive_id(withdrawal_id, "withdrawal"))
        if owner_id is not None:
            rows = rows.filter(user_id=owner_id)
        withdrawal = rows.first()
        if withdrawal is None:
            raise NotFound(_("No such withdrawal."))
        return withdrawal

    @staticmethod
    def _require_pending(withdrawal: Withdrawal) -> None:
        if withdrawal.status != Withdrawal.Status.PENDING:
            raise WithdrawalError(
                _("This withdrawal is already %(status)s.") % {"status": withdrawal.get_status_display().lower()}
            )

    def _settle(
        self, withdrawal: Withdrawal, *, status, reviewer_id=None, txid: str = "", note: str = ""
    ) -> PostedEntry:
        """The pending funds leave (sent) or go back to the user; ``withdrawal`` is locked."""
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
        Withdrawal.objects.filter(pk=withdrawal.pk).update(
            status=status,
            txid=txid,
            note=note[:200],
            reviewed_by_id=reviewer_id,
            reviewed_at=self._clock.now(),
            settle_entry_id=posted.entry_id,
        )
        withdrawal.refresh_from_db()
        self._events.publish(f"wallets.withdrawal_{status}", user_id=withdrawal.user_id, withdrawal_id=withdrawal.pk)
        return posted

    # corrections
    def reverse_entry(self, *, staff_user_id: int, entry_id: int, reason: str, client_ip: str = "") -> PostedEntry:
        """A reversing entry (postings negated) for a deposit or transfer recorded by mistake.

        Entries are never edited. Refused if a balance would go negative (the money was spent),
        and to anyone whose own money the entry moved.
        """
        reviewer = self._staff.require(staff_user_id, Capability.HANDLE_DEPOSITS)
        eid = positive_id(entry_id, "entry")
        reason = reason_of(reason, WalletError)
        original = JournalEntry.objects.filter(pk=eid).first()
        if original is None:
            raise NotFound(_("No such journal entry."))
        if original.kind not in REVERSIBLE:
            raise WalletError(
                _("A %(kind)s entry is settled through its own flow, not reversed.")
                % {"kind": original.get_kind_display().lower()}
            )
        postings = list(original.postings.select_related("account"))
        require_not_own_entry(actor_id=reviewer, user_ids=[p.account.user_id for p in postings])
        refs = [ref_of(p.account) for p in postings]
        with transaction.atomic():
            posted = self._ledger.post(
                kind=JournalEntry.Kind.REVERSAL,
                idempotency_key=f"reverse:{original.pk}",
                request={"entry": original.pk, "reason": reason},
                accounts=refs,
                plan=[(ref, -p.amount_sat) for ref, p in zip(refs, postings, strict=True)],
                memo=reason,
                created_by_id=reviewer,
                reverses_id=original.pk,
            )
            if posted.replayed:
                return posted
            if original.kind == JournalEntry.Kind.DEPOSIT:
                Deposit.objects.filter(entry_id=original.pk).update(
                    status=Deposit.Status.REVERSED, updated_at=self._clock.now()
                )
            self._audit(
                reviewer,
                client_ip,
                "wallets.entry_reversed",
                f"entry #{original.pk}",
                {
                    "kind": original.kind,
                    "reversal_entry_id": posted.entry_id,
                    "reason": reason,
                    "postings_sat": {ref.code: -p.amount_sat for ref, p in zip(refs, postings, strict=True)},
                },
            )
        return posted

    # checks
    def _audit(self, actor_id: int, client_ip: str, action: str, target: str, detail: dict) -> None:
        self._audit_log.record(
            actor=Actor(user_id=actor_id, client_ip=client_ip_of(client_ip)),
            action=action,
            target=target,
            detail=detail,
        )

    def _active_user_id(self, user_id) -> int:
        uid = positive_id(user_id, "user")
        if not get_user_model().objects.filter(pk=uid, is_active=True).exists():
            raise NotFound(_("No user with id %(id)s.") % {"id": repr(user_id)}, field="user")
        return uid
