"""Reads for the wallet pages: ready rows with a fixed number of queries. Writes go through
``WalletService``; nothing here changes the database."""

from dataclasses import dataclass
from datetime import datetime

from django.core.paginator import Paginator
from django.db.models import Case, Count, IntegerField, Prefetch, Q, Sum, Value, When
from django.utils.translation import gettext as _

from marketplace.wallets.models import Account, Deposit, Posting, Withdrawal, WithdrawalApproval
from services.errors import NotFound, PermissionDenied
from services.four_eyes import approvals_needed
from services.money import format_btc
from services.wallet_values import parse_txid, parse_vout


@dataclass(frozen=True)
class Balance:
    available_sat: int
    pending_withdrawal_sat: int

    @property
    def btc(self) -> str:
        return format_btc(self.available_sat)

    def __str__(self) -> str:
        return self.btc


@dataclass(frozen=True)
class HistoryLine:
    entry_id: int
    kind: str
    kind_label: str
    amount_sat: int
    account_kind: str
    memo: str
    order_ref: str
    created_at: datetime


@dataclass(frozen=True)
class PendingDeposit:
    txid: str
    vout: int
    amount_sat: int
    confirmations: int
    first_seen_at: datetime


@dataclass(frozen=True)
class WithdrawalRow:
    withdrawal_id: int
    user_id: int
    username: str
    address: str
    amount_sat: int
    fee_sat: int
    status: str
    status_label: str
    txid: str
    note: str
    created_at: datetime
    reviewed_at: datetime | None
    approved_by: tuple[str, ...] = ()  # usernames, in the order they approved
    approved_by_ids: tuple[int, ...] = ()
    approvals_required: int = 1

    @property
    def total_sat(self) -> int:
        return self.amount_sat + self.fee_sat

    @property
    def approvals_missing(self) -> int:
        return max(0, self.approvals_required - len(self.approved_by))


@dataclass(frozen=True)
class ProposalRow:
    """A deposit recorded by hand, waiting for a second person."""

    deposit_id: int
    user_id: int
    username: str
    amount_sat: int
    txid: str
    vout: int
    proposed_by_id: int | None
    proposed_by: str
    proposed_at: datetime
    check_status: str
    check_label: str
    check_detail: str
    checked_at: datetime | None


class WalletQueries:
    def __init__(self, *, history_page_size: int = 25, withdrawal_second_approval_sat: int = 1_000_000):
        self.history_page_size = max(1, min(int(history_page_size), 200))
        self.withdrawal_second_approval_sat = int(withdrawal_second_approval_sat)

    def get_balance(self, *, user_id: int) -> Balance:
        """Available and pending-withdrawal balances in one query (zero before any movement)."""
        totals = Account.objects.filter(
            user_id=user_id, kind__in=[Account.Kind.USER, Account.Kind.WITHDRAWAL]
        ).aggregate(
            available=Sum("balance_sat", filter=Q(kind=Account.Kind.USER)),
            pending=Sum("balance_sat", filter=Q(kind=Account.Kind.WITHDRAWAL)),
        )
        return Balance(available_sat=totals["available"] or 0, pending_withdrawal_sat=totals["pending"] or 0)

    def escrow_balance(self, *, order_ref: str) -> int:
        row = Account.objects.filter(code=f"escrow:{order_ref}").values_list("balance_sat", flat=True).first()
        return row or 0

    def history(self, *, user_id: int, page=1):
        """The user's postings, newest first, as a Django ``Page`` of ``HistoryLine`` (2 queries)."""
        postings = Posting.objects.filter(account__user_id=user_id).select_related("entry", "account").order_by("-id")
        paginator = Paginator(postings, self.history_page_size)
        current = paginator.get_page(page)
        current.object_list = [
            HistoryLine(
                entry_id=p.entry_id,
                kind=p.entry.kind,
                kind_label=p.entry.get_kind_display(),
                amount_sat=p.amount_sat,
                account_kind=p.account.kind,
                memo=p.entry.memo,
                order_ref=p.entry.order_ref,
                created_at=p.entry.created_at,
            )
            for p in current.object_list
        ]
        return current

    def pending_deposits(self, *, user_id: int) -> list[PendingDeposit]:
        rows = Deposit.objects.filter(user_id=user_id, status=Deposit.Status.PENDING).order_by("-id")[:20]
        return [PendingDeposit(d.txid, d.vout, d.amount_sat, d.confirmations, d.first_seen_at) for d in rows]

    def withdrawals(self, *, user_id: int, limit: int = 20) -> list[WithdrawalRow]:
        rows = Withdrawal.objects.filter(user_id=user_id).select_related("user").order_by("-id")[:limit]
        return [_row(w) for w in rows]

    def withdrawal(self, *, user_id: int, withdrawal_id) -> WithdrawalRow:
        """One of the user's own withdrawals; another user's is ``NotFound`` like a missing one."""
        try:
            wid = int(withdrawal_id)
        except (TypeError, ValueError):
            raise NotFound(_("No such withdrawal.")) from None
        found = Withdrawal.objects.filter(pk=wid, user_id=user_id).select_related("user").first()
        if found is None:
            raise NotFound(_("No such withdrawal."))
        return _row(found)

    def withdrawal_queue(self, *, staff: bool, status: str = Withdrawal.Status.PENDING, page=1):
        """Withdrawals for staff to review, oldest first (a ``Page`` of ``WithdrawalRow``)."""
        if not staff:
            raise PermissionDenied(_("Only staff can see the withdrawal queue."))
        if status not in Withdrawal.Status.values:
            status = Withdrawal.Status.PENDING
        rows = self._with_approvals(Withdrawal.objects.filter(status=status))
        rows = rows.order_by("id" if status == Withdrawal.Status.PENDING else "-id")
        current = Paginator(rows, 50).get_page(page)
        current.object_list = [self._row(w) for w in current.object_list]
        return current

    def withdrawals_to_review(self, *, limit: int = 50) -> list[WithdrawalRow]:
        """Pending withdrawals, oldest first, with who approved them so far (3 queries)."""
        rows = self._with_approvals(Withdrawal.objects.filter(status=Withdrawal.Status.PENDING)).order_by("id")
        return [self._row(w) for w in rows[: max(1, min(int(limit), 200))]]

    def deposit_proposals(self, *, limit: int = 50) -> list[ProposalRow]:
        """Deposits recorded by hand and not yet confirmed or rejected, oldest first (1 query)."""
        rows = (
            Deposit.objects.filter(status=Deposit.Status.PROPOSED)
            .select_related("user", "recorded_by")
            .order_by("id")[: max(1, min(int(limit), 200))]
        )
        return [
            ProposalRow(
                deposit_id=d.pk,
                user_id=d.user_id,
                username=d.user.username,
                amount_sat=d.amount_sat,
                txid=d.txid,
                vout=d.vout,
                proposed_by_id=d.recorded_by_id,
                proposed_by=d.recorded_by.username if d.recorded_by else "",
                proposed_at=d.first_seen_at,
                check_status=d.check_status,
                check_label=d.get_check_status_display() if d.check_status else "",
                check_detail=d.check_detail,
                checked_at=d.checked_at,
            )
            for d in rows
        ]

    def live_deposit_id(self, *, txid, vout) -> int:
        """The deposit recorded for an output (a rejected proposal is not), by ``txid:vout``."""
        found = (
            Deposit.objects.filter(txid=parse_txid(txid), vout=parse_vout(vout))
            .exclude(status=Deposit.Status.REJECTED)
            .values_list("pk", flat=True)
            .first()
        )
        if found is None:
            raise NotFound(_("No deposit recorded for %(output)s.") % {"output": f"{txid}:{vout}"})
        return found

    @staticmethod
    def _with_approvals(rows):
        approvals = WithdrawalApproval.objects.select_related("approver").order_by("id")
        return rows.select_related("user").prefetch_related(Prefetch("approvals", queryset=approvals))

    def _row(self, w: Withdrawal) -> WithdrawalRow:
        approvals = list(w.approvals.all())
        required = approvals_needed(
            w.amount_sat, second_approval_above_sat=self.withdrawal_second_approval_sat, recorded=w.approvals_required
        )
        return _row(
            w,
            approved_by=tuple(a.approver.username for a in approvals),
            approved_by_ids=tuple(a.approver_id for a in approvals),
            approvals_required=required,
        )

    def queue_counts(self) -> dict[str, int]:
        counts = Withdrawal.objects.aggregate(
            **{
                status: Sum(
                    Case(
                        When(status=status, then=Value(1)),
                        default=Value(0),
                        output_field=IntegerField(),
                    )
                )
                for status in Withdrawal.Status.values
            },
            total=Count("id"),
        )
        return {key: value or 0 for key, value in counts.items()}


def _row(w: Withdrawal, **approvals) -> WithdrawalRow:
    return WithdrawalRow(
        withdrawal_id=w.pk,
        user_id=w.user_id,
        username=w.user.username,
        address=w.address,
        amount_sat=w.amount_sat,
        fee_sat=w.fee_sat,
        status=w.status,
        status_label=w.get_status_display(),
        txid=w.txid,
        note=w.note,
        created_at=w.created_at,
        reviewed_at=w.reviewed_at,
        **approvals,
    )
