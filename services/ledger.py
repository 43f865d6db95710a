"""The posting engine under ``WalletService``: one balanced, idempotent journal entry at a time.

How one entry is written (``Ledger.post``), in one ``transaction.atomic()`` (a savepoint when the
caller already has a transaction, so the orders module can pay inside its own):

1. lock every account the entry touches with ``SELECT ... FOR UPDATE`` in primary-key order
   (missing accounts are created first, in code order), so two entries touching the same
   accounts queue up instead of deadlocking, and balances read are the committed ones;
2. insert the entry under its idempotency key: a key already used makes the insert fail, the
   savepoint rolls back, and the first entry is returned (or refused if the request differs);
3. compute the postings from the locked balances, check they sum to zero and that no claim
   goes below zero, insert them and write the new cached balances in one UPDATE.

Hot path: one locking SELECT, two INSERTs and one UPDATE.
"""

import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, OperationalError, connection, transaction

from marketplace.wallets.models import Account, JournalEntry, Posting
from services.errors import (
    EscrowError,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidAmount,
    NotFound,
    WalletError,
)
from services.money import MAX_SATS, format_btc

log = logging.getLogger(__name__)

KEY_MAX = 200  # a caller's key; the service prefixes it, hence the column's 220
ENTRY_KEY_MAX = 220
DEADLOCK_RETRIES = 3
_RETRYABLE_SQLSTATES = {"40P01", "40001"}  # deadlock detected, serialization failure


@dataclass(frozen=True)
class AccountRef:
    code: str
    kind: str
    user_id: int | None = None
    order_ref: str = ""


def user_account(user_id: int) -> AccountRef:
    return AccountRef(f"user:{user_id}", Account.Kind.USER, user_id=user_id)


def withdrawal_account(user_id: int) -> AccountRef:
    return AccountRef(f"withdrawal:{user_id}", Account.Kind.WITHDRAWAL, user_id=user_id)


def escrow_account(order_ref: str) -> AccountRef:
    return AccountRef(f"escrow:{order_ref}", Account.Kind.ESCROW, order_ref=order_ref)


FEES = AccountRef("fees", Account.Kind.FEES)
ASSET = AccountRef("asset:onchain", Account.Kind.ASSET)


@dataclass(frozen=True)
class PostedEntry:
    """What an entry did. ``replayed`` is true when the key had been used and nothing moved now."""

    entry_id: int
    kind: str
    idempotency_key: str
    created_at: datetime
    postings: tuple[tuple[str, int], ...]
    replayed: bool = False

    def amount_for(self, code: str) -> int:
        return sum(amount for account, amount in self.postings if account == code)


Plan = Callable[[Mapping[str, int]], Sequence[tuple[AccountRef, int]]]


def request_hash(kind: str, request: Mapping) -> str:
    text = json.dumps({"kind": kind, **request}, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def check_amount(value, *, field: str = "amount_sat", allow_zero: bool = False) -> int:
    """An amount in satoshis: an int (not bool, float, str or Decimal), > 0, at most 21M BTC."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidAmount("Amounts are whole numbers of satoshis.", field=field)
    if value < 0 or (value == 0 and not allow_zero):
        raise InvalidAmount("The amount must be more than zero.", field=field)
    if value > MAX_SATS:
        raise InvalidAmount("That is more bitcoin than will ever exist.", field=field)
    return value


def check_key(key, *, limit: int = KEY_MAX) -> str:
    if not isinstance(key, str) or not key.strip() or len(key) > limit or not key.isprintable():
        raise WalletError(
            f"An idempotency key is a printable text of 1 to {limit} characters.", field="idempotency_key"
        )
    return key


class Ledger:
    def __init__(self, *, clock):
        self._clock = clock

    def post(
        self,
        *,
        kind: str,
        idempotency_key: str,
        request: Mapping,
        accounts: Iterable[AccountRef],
        plan: Plan,
        memo: str = "",
        order_ref: str = "",
        created_by_id: int | None = None,
        reverses_id: int | None = None,
        on_posted: Callable[[PostedEntry], None] | None = None,
    ) -> PostedEntry:
        """Write one entry (see the module doc); ``plan`` turns locked balances into postings.

        ``on_posted`` runs inside the same transaction after the postings (the caller's rows
        that must commit with the entry: a withdrawal, a deposit record).
        """
        check_key(idempotency_key, limit=ENTRY_KEY_MAX)
        fingerprint = request_hash(kind, request)
        refs = {ref.code: ref for ref in accounts}
        outermost = not connection.in_atomic_block
        for attempt in range(DEADLOCK_RETRIES if outermost else 1):
            try:
                with transaction.atomic():
                    locked = self._lock(refs)
                    entry = JournalEntry.objects.create(
                        idempotency_key=idempotency_key,
                        kind=kind,
                        request_hash=fingerprint,
                        memo=memo[:200],
                        order_ref=order_ref,
                        created_by_id=created_by_id,
                        reverses_id=reverses_id,
                        created_at=self._clock.now(),
                    )
                    posted = self._apply(entry, locked, refs, plan)
                    if on_posted is not None:
                        on_posted(posted)
                    return posted
            except IntegrityError:
                existing = self.find(idempotency_key)
                if existing is None:
                    raise
                return self._replay(existing, fingerprint)
            except OperationalError as exc:
                if not outermost or attempt == DEADLOCK_RETRIES - 1 or not _retryable(exc):
                    raise
                # Locks are taken in a fixed order, so this should never happen: say so loudly.
                log.warning("ledger entry %s retried after %s", kind, exc.__cause__.sqlstate)
        raise AssertionError("unreachable")

    def find(self, idempotency_key: str) -> JournalEntry | None:
        return JournalEntry.objects.filter(idempotency_key=idempotency_key).first()

    def replay_of(self, idempotency_key: str, *, kind: str, request: Mapping) -> PostedEntry | None:
        """The entry already written under this key (refused if it was another request), or None."""
        existing = self.find(check_key(idempotency_key, limit=ENTRY_KEY_MAX))
        if existing is None:
            return None
        return self._replay(existing, request_hash(kind, request))

    def _replay(self, existing: JournalEntry, fingerprint: str) -> PostedEntry:
        if existing.request_hash != fingerprint:
            raise IdempotencyConflict(
                "This idempotency key was already used for a different request; nothing was moved.",
                field="idempotency_key",
            )
        postings = tuple(
            (code, amount)
            for code, amount in Posting.objects.filter(entry=existing)
            .order_by("id")
            .values_list("account__code", "amount_sat")
        )
        return PostedEntry(
            entry_id=existing.pk,
            kind=existing.kind,
            idempotency_key=existing.idempotency_key,
            created_at=existing.created_at,
            postings=postings,
            replayed=True,
        )

    def _lock(self, refs: Mapping[str, AccountRef]) -> dict[str, Account]:
        codes = sorted(refs)
        rows = list(Account.objects.filter(code__in=codes).order_by("pk").select_for_update())
        if len(rows) == len(codes):
            return {row.code: row for row in rows}
        present = {row.code for row in rows}
        for code in codes:  # in code order, so two creators never wait on each other in a cycle
            if code not in present:
                self._create(refs[code])
        rows = list(Account.objects.filter(code__in=codes).order_by("pk").select_for_update())
        return {row.code: row for row in rows}

    def _create(self, ref: AccountRef) -> None:
        if ref.user_id is not None:
            # Checked here, not left to the foreign key: PostgreSQL defers that check to COMMIT,
            # which may be the caller's, long after this entry.
            from django.contrib.auth import get_user_model

            if not get_user_model().objects.filter(pk=ref.user_id, is_active=True).exists():
                raise NotFound(f"No user with id {ref.user_id!r}.")
        try:
            with transaction.atomic():
                Account.objects.create(
                    code=ref.code,
                    kind=ref.kind,
                    user_id=ref.user_id,
                    order_ref=ref.order_ref,
                    created_at=self._clock.now(),
                )
        except IntegrityError:  # created meanwhile by another transaction: use that one
            if not Account.objects.filter(code=ref.code).exists():
                raise

    def _apply(self, entry, locked: dict[str, Account], refs, plan: Plan) -> PostedEntry:
        balances = {code: account.balance_sat for code, account in locked.items()}
        movements: dict[str, int] = {}
        for ref, amount in plan(balances):
            if isinstance(amount, bool) or not isinstance(amount, int):
                raise TypeError(f"posting amounts are int satoshis, got {amount!r}")
            if ref.code not in locked:
                raise WalletError(f"account {ref.code} was not locked for this entry")
            movements[ref.code] = movements.get(ref.code, 0) + amount
        movements = {code: amount for code, amount in movements.items() if amount}
        if not movements:
            raise InvalidAmount("Nothing to move: the amount is zero.")
        if sum(movements.values()) != 0:
            raise WalletError(f"unbalanced entry {entry.kind}: postings sum to {sum(movements.values())}")
        changed = []
        for code, amount in movements.items():
            account = locked[code]
            after = account.balance_sat + amount
            if account.kind != Account.Kind.ASSET and after < 0:
                raise _shortfall(account, -amount)
            if abs(after) > MAX_SATS:
                raise InvalidAmount("That would hold more bitcoin than will ever exist.")
            account.balance_sat = after
            changed.append(account)
        Posting.objects.bulk_create(
            [Posting(entry=entry, account=locked[code], amount_sat=amount) for code, amount in movements.items()]
        )
        Account.objects.bulk_update(changed, ["balance_sat"])
        return PostedEntry(
            entry_id=entry.pk,
            kind=entry.kind,
            idempotency_key=entry.idempotency_key,
            created_at=entry.created_at,
            postings=tuple(movements.items()),
        )


def _shortfall(account: Account, needed: int) -> WalletError:
    have = format_btc(account.balance_sat)
    want = format_btc(needed)
    if account.kind == Account.Kind.ESCROW:
        return EscrowError(
            f"The escrow of order {account.order_ref} holds {have} BTC; {want} BTC cannot come out of it."
        )
    error = InsufficientFunds(
        f"Insufficient funds: the available balance is {have} BTC and this needs {want} BTC.",
        field="amount",
    )
    error.account_code = account.code
    return error


def _retryable(exc: OperationalError) -> bool:
    cause = exc.__cause__
    return getattr(cause, "sqlstate", None) in _RETRYABLE_SQLSTATES
