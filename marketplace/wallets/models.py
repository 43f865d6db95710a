"""The ledger's tables. Written only by the wallets services; entries and postings never change.

Signs: a posting adds its amount to its account. Users' balances, escrows, fees and pending
withdrawals are claims and stay >= 0 (a CHECK says so); the ``asset`` account is the other side
of every deposit and withdrawal, so it is the negative of the bitcoin held for everyone.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from services.money import MAX_SATS


class Account(models.Model):
    class Kind(models.TextChoices):
        USER = "user", _("Available balance")
        WITHDRAWAL = "withdrawal", _("Pending withdrawals")
        ESCROW = "escrow", _("Order escrow")
        FEES = "fees", _("Platform fees")
        ASSET = "asset", _("Bitcoin held on chain")

    code = models.CharField(max_length=140, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_accounts",
    )
    order_ref = models.CharField(max_length=100, blank=True, default="")
    # The sum of this account's postings, kept in the same transaction as the postings.
    balance_sat = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "wallets_account"
        constraints = [
            models.CheckConstraint(
                condition=Q(balance_sat__gte=0) | Q(kind="asset"),
                name="wallets_account_balance_not_negative",
            ),
            # No balance holds more than there will ever be: the one-statement path relies on it.
            models.CheckConstraint(
                condition=Q(balance_sat__lte=MAX_SATS) & Q(balance_sat__gte=-MAX_SATS),
                name="wallets_account_balance_bounded",
            ),
            models.UniqueConstraint(
                fields=["kind", "user"],
                condition=Q(user__isnull=False),
                name="wallets_account_one_per_user_kind",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class JournalEntry(models.Model):
    class Kind(models.TextChoices):
        DEPOSIT = "deposit", _("Deposit")
        TRANSFER = "transfer", _("Transfer")
        HOLD = "hold", _("Escrow hold")
        RELEASE = "release", _("Escrow release")
        REFUND = "refund", _("Escrow refund")
        SPLIT = "split", _("Escrow split")
        WITHDRAWAL_REQUEST = "withdrawal_request", _("Withdrawal requested")
        WITHDRAWAL_SENT = "withdrawal_sent", _("Withdrawal sent")
        WITHDRAWAL_RETURN = "withdrawal_return", _("Withdrawal returned")
        REVERSAL = "reversal", _("Reversal")

    # Unique through ``wallets_entry_key_once``: ``unique=True`` would add a second index for
    # LIKE queries that nothing runs, paid on every payment.
    idempotency_key = models.CharField(max_length=220)
    kind = models.CharField(max_length=24, choices=Kind.choices)
    # What was asked, hashed: a replay of the key with other parameters is refused.
    request_hash = models.CharField(max_length=64)
    memo = models.CharField(max_length=200, blank=True, default="")
    order_ref = models.CharField(max_length=100, blank=True, default="")
    reverses = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversals",
        db_index=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "wallets_journal_entry"
        verbose_name_plural = "journal entries"
        # Partial indexes: most entries have no order, reversal or author, and every index an
        # INSERT must update is paid on each payment.
        constraints = [
            models.UniqueConstraint(fields=["idempotency_key"], name="wallets_entry_key_once"),
            models.UniqueConstraint(
                fields=["reverses"],
                condition=Q(reverses__isnull=False),
                name="wallets_entry_reversed_once",
            ),
        ]
        indexes = [
            models.Index(fields=["order_ref"], condition=~Q(order_ref=""), name="wallets_entry_by_order"),
            models.Index(
                fields=["created_by"],
                condition=Q(created_by__isnull=False),
                name="wallets_entry_by_author",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind}"


class Posting(models.Model):
    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="postings")
    # Indexed by ``wallets_posting_history`` (account, -id), which also serves the foreign key.
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="postings", db_index=False)
    amount_sat = models.BigIntegerField()

    class Meta:
        db_table = "wallets_posting"
        constraints = [
            models.CheckConstraint(condition=~Q(amount_sat=0), name="wallets_posting_not_zero"),
        ]
        indexes = [models.Index(fields=["account", "-id"], name="wallets_posting_history")]

    def __str__(self) -> str:
        return f"entry {self.entry_id}: {self.amount_sat:+d} sat"


class DerivationCursor(models.Model):
    """The next receive index of one account key; locked while an address is handed out."""

    key_fingerprint = models.CharField(max_length=16, unique=True)
    next_index = models.PositiveBigIntegerField(default=0)

    class Meta:
        db_table = "wallets_derivation_cursor"

    def __str__(self) -> str:
        return f"{self.key_fingerprint} next {self.next_index}"


class DepositAddress(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="deposit_addresses")
    key_fingerprint = models.CharField(max_length=16)
    index = models.PositiveBigIntegerField()
    address = models.CharField(max_length=90, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "wallets_deposit_address"
        constraints = [
            models.UniqueConstraint(fields=["key_fingerprint", "index"], name="wallets_address_index_once"),
        ]
        indexes = [models.Index(fields=["user", "-id"], name="wallets_address_by_user")]

    def __str__(self) -> str:
        return self.address


class Deposit(models.Model):
    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed, waiting for a second person")
        PENDING = "pending", _("Waiting for confirmations")
        CREDITED = "credited", _("Credited")
        REMOVED = "removed", _("Dropped from the chain")
        REVERSED = "reversed", _("Reversed by staff")
        REJECTED = "rejected", _("Proposal rejected")

    class Check(models.TextChoices):
        """What the chain backend said of the output the last time a proposal was checked."""

        UNCHECKED = "unchecked", _("Nothing to check against (manual backend)")
        OK = "ok", _("Matches the node")
        WAITING = "waiting", _("Too few confirmations yet")
        MISMATCH = "mismatch", _("Does not match the node")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="deposits")
    address = models.ForeignKey(
        DepositAddress, null=True, blank=True, on_delete=models.PROTECT, related_name="deposits"
    )
    txid = models.CharField(max_length=64)
    vout = models.PositiveIntegerField()
    amount_sat = models.BigIntegerField()
    confirmations = models.IntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    source = models.CharField(max_length=20)
    entry = models.OneToOneField(JournalEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="deposit")
    # Who proposed a deposit recorded by hand; the node's own deposits have nobody.
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Who confirmed or rejected the proposal (the second pair of eyes), and why if rejected.
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True, default="")
    check_status = models.CharField(max_length=10, choices=Check.choices, blank=True, default="")
    check_detail = models.CharField(max_length=200, blank=True, default="")
    checked_at = models.DateTimeField(null=True, blank=True)
    first_seen_at = models.DateTimeField(default=timezone.now)
    credited_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "wallets_deposit"
        constraints = [
            # One live record per output; a rejected proposal steps aside for a corrected one.
            models.UniqueConstraint(
                fields=["txid", "vout"],
                condition=~Q(status="rejected"),
                name="wallets_deposit_live_output_once",
            ),
            models.CheckConstraint(condition=Q(amount_sat__gt=0), name="wallets_deposit_positive"),
            # A proposal credits nothing until a second person confirms it...
            models.CheckConstraint(
                condition=~Q(status__in=["proposed", "rejected"]) | Q(entry__isnull=True),
                name="wallets_deposit_proposal_uncredited",
            ),
            # ...who is neither its proposer nor the person credited, whatever code writes the row.
            models.CheckConstraint(
                condition=Q(status="rejected")
                | Q(reviewed_by__isnull=True)
                | (~Q(reviewed_by=F("recorded_by")) & ~Q(reviewed_by=F("user"))),
                name="wallets_deposit_confirmed_by_another",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "status"], name="wallets_deposit_by_user"),
            models.Index(
                fields=["id"],
                condition=Q(status="proposed"),
                name="wallets_deposit_proposals",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.txid}:{self.vout}"


class ChainCursor(models.Model):
    """Where the last poll of a chain backend stopped (``listsinceblock``'s ``lastblock``)."""

    backend = models.CharField(max_length=40, unique=True)
    last_block = models.CharField(max_length=64, blank=True, default="")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "wallets_chain_cursor"

    def __str__(self) -> str:
        return f"{self.backend} at {self.last_block or '(start)'}"


class Withdrawal(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for review")
        SENT = "sent", _("Sent")
        REJECTED = "rejected", _("Rejected")
        CANCELLED = "cancelled", _("Cancelled")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="withdrawals")
    address = models.CharField(max_length=90)
    amount_sat = models.BigIntegerField()
    fee_sat = models.BigIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # Approvals this withdrawal needed when it was asked for (services/four_eyes.py); a lower
    # threshold configured later raises it, a higher one never lowers it.
    approvals_required = models.PositiveSmallIntegerField(default=1)
    idempotency_key = models.CharField(max_length=200)
    request_entry = models.OneToOneField(JournalEntry, on_delete=models.PROTECT, related_name="withdrawal_requested")
    settle_entry = models.OneToOneField(
        JournalEntry,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="withdrawal_settled",
    )
    txid = models.CharField(max_length=64, blank=True, default="")
    note = models.CharField(max_length=200, blank=True, default="")
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "wallets_withdrawal"
        constraints = [
            models.UniqueConstraint(fields=["user", "idempotency_key"], name="wallets_withdrawal_key_once"),
            models.CheckConstraint(
                condition=Q(amount_sat__gt=0) & Q(fee_sat__gte=0), name="wallets_withdrawal_amounts"
            ),
            models.CheckConstraint(condition=Q(approvals_required__gte=1), name="wallets_withdrawal_approvals_needed"),
        ]
        indexes = [models.Index(fields=["status", "id"], name="wallets_withdrawal_queue")]

    def __str__(self) -> str:
        return f"withdrawal #{self.pk} ({self.status})"

    @property
    def total_sat(self) -> int:
        return self.amount_sat + self.fee_sat


class WithdrawalApproval(models.Model):
    """One staff member's approval of one withdrawal; the one completing the quorum sends it."""

    withdrawal = models.ForeignKey(Withdrawal, on_delete=models.PROTECT, related_name="approvals")
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "wallets_withdrawal_approval"
        constraints = [
            # The same person approving twice is still one pair of eyes.
            models.UniqueConstraint(fields=["withdrawal", "approver"], name="wallets_withdrawal_approved_once"),
        ]

    def __str__(self) -> str:
        return f"withdrawal #{self.withdrawal_id} approved by {self.approver_id}"
