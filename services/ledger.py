"""The posting engine under ``WalletService``: one balanced, idempotent journal entry at a time.

How one entry is written (``Ledger.post``), in one ``transaction.atomic()`` (a savepoint when the
caller already has a transaction, so the orders module can pay inside its own):

1. lock every account the entry touches with ``SELECT ... FOR UPDATE`` in primary-key order
   (missing accounts are created first, in code order), so two entries touching the same
   accounts queue up instead of deadlocking, and balances read are the committed ones;
2. compute the postings from the locked balances and check them: they sum to zero, no claim
   goes below zero (a refusal first looks for an earlier entry under the same key: a replay
   returns what was done then, whatever the balances are now);
3. insert the entry under its idempotency key, its postings and the new cached balances. A key
   already used makes the insert fail, the savepoint rolls back, and the first entry is
   returned (or refused if the request differs).

Hot path on PostgreSQL: two round trips and the commit (the locking SELECT, then one statement
writing entry, postings and balances); elsewhere the same rows through the ORM.

Fixed entries (postings that do not depend on balances: a transfer, a hold) posted outside any
transaction go faster still on PostgreSQL: one statement, in autocommit, locks the accounts in
primary-key order and writes entry, postings and balances (``_post_in_one_statement``). The
database's CHECK constraints refuse a balance below zero or above 21M BTC; any refusal, a reused
key or a missing account sends the entry down the path above, which explains or replays it.
"""

import hashlib
import json
import logging
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple

from django.db import (
    DEFAULT_DB_ALIAS,
    IntegrityError,
    OperationalError,
    connection,
    connections,
    transaction,
)
from django.utils.translation import gettext as _

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

if TYPE_CHECKING:
    from services.personal_parts import PersonalParts
    from services.ports import Clock

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


Postings = Sequence[tuple[AccountRef, int]]
# The postings, or how to compute them from the locked balances (an escrow released in full).
Plan = Postings | Callable[[Mapping[str, int]], Postings]


def request_hash(kind: str, request: Mapping) -> str:
    text = json.dumps({"kind": kind, **request}, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def check_amount(value, *, field: str = "amount_sat", allow_zero: bool = False) -> int:
    """An amount in satoshis: an int (not bool, float, str or Decimal), > 0, at most 21M BTC."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidAmount(_("Amounts are whole numbers of satoshis."), field=field)
    if value < 0 or (value == 0 and not allow_zero):
        raise InvalidAmount(_("The amount must be more than zero."), field=field)
    if value > MAX_SATS:
        raise InvalidAmount(_("That is more bitcoin than will ever exist."), field=field)
    return value


def check_key(key, *, limit: int = KEY_MAX) -> str:
    if not isinstance(key, str) or not key.strip() or len(key) > limit or not key.isprintable():
        raise WalletError(
            _("An idempotency key is a printable text of 1 to %(limit)s characters.") % {"limit": limit},
            field="idempotency_key",
        )
    return key


class _Locked(NamedTuple):
    id: int
    code: str
    kind: str
    order_ref: str
    balance: int


class _NewEntry(NamedTuple):
    idempotency_key: str
    kind: str
    request_hash: str
    memo: str
    order_ref: str
    created_by_id: int | None
    reverses_id: int | None
    created_at: datetime


class Ledger:
    def __init__(self, *, clock: "Clock", people: "PersonalParts | None" = None):
        self._clock = clock
        self._people = people  # told whose balance moved (the header they see shows it)

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
        """Write one entry (see the module doc). ``plan`` is the postings, or a function turning
        the locked balances into postings.

        ``on_posted`` runs inside the same transaction after the postings (the caller's rows
        that must commit with the entry: a withdrawal, a deposit record).
        """
        accounts = tuple(accounts)
        posted = self._post(
            kind, idempotency_key, request, accounts, plan, memo, order_ref, created_by_id, reverses_id, on_posted
        )
        if self._people is not None and not posted.replayed:
            self._people.changed(ref.user_id for ref in accounts)
        return posted

    def _post(
        self, kind, idempotency_key, request, accounts, plan, memo, order_ref, created_by_id, reverses_id, on_posted
    ) -> PostedEntry:
        check_key(idempotency_key, limit=ENTRY_KEY_MAX)
        fingerprint = request_hash(kind, request)
        refs = {ref.code: ref for ref in accounts}
        db = connections[DEFAULT_DB_ALIAS]  # once: each ``connection.x`` is a thread-local lookup
        outermost = not db.in_atomic_block
        if not callable(plan):
            fixed = plan
            if outermost and on_posted is None and db.vendor == "postgresql":
                entry = self._new_entry(idempotency_key, kind, fingerprint, memo, order_ref, created_by_id, reverses_id)
                posted = _post_in_one_statement(db, entry, _merged(fixed, refs))
                if posted is not None:
                    return posted

            def plan(_balances):
                return fixed

        for attempt in range(DEADLOCK_RETRIES if outermost else 1):
            try:
                with transaction.atomic():
                    locked = self._lock(refs)
                    try:
                        movements = self._movements(locked, plan)
                    except WalletError:
                        # Refused on today's balances; but a replay returns what it did then.
                        existing = self.find(idempotency_key)
                        if existing is None:
                            raise
                        return self._replay(existing, fingerprint)
                    entry = self._new_entry(
                        idempotency_key, kind, fingerprint, memo, order_ref, created_by_id, reverses_id
                    )
                    entry_id = self._write(entry, locked, movements)
                    posted = PostedEntry(
                        entry_id=entry_id,
                        kind=entry.kind,
                        idempotency_key=idempotency_key,
                        created_at=entry.created_at,
                        postings=tuple(movements.items()),
                    )
                    if on_posted is not None:
                        on_posted(posted)
                    return posted
            except IntegrityError:
                # The key was taken by a concurrent request that committed first.
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

    def _new_entry(self, key, kind, fingerprint, memo, order_ref, created_by_id, reverses_id) -> "_NewEntry":
        return _NewEntry(
            idempotency_key=key,
            kind=str(kind),
            request_hash=fingerprint,
            memo=memo[:200],
            order_ref=order_ref,
            created_by_id=created_by_id,
            reverses_id=reverses_id,
            created_at=self._clock.now(),
        )

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
                _("This idempotency key was already used for a different request; nothing was moved."),
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

    def _lock(self, refs: Mapping[str, AccountRef]) -> dict[str, _Locked]:
        codes = sorted(refs)
        rows = self._select_for_update(codes)
        if len(rows) == len(codes):
            return rows
        self._open([refs[code] for code in codes if code not in rows])
        rows = self._select_for_update(codes)
        if len(rows) != len(codes):  # refused by another unique constraint: one account per user and kind
            raise IntegrityError(f"accounts not opened: {sorted(set(codes) - set(rows))}")
        return rows

    @staticmethod
    def _select_for_update(codes: list[str]) -> dict[str, _Locked]:
        with _hot_cursor() as cursor:
            cursor.execute(_locking_query(len(codes)), codes)
            return {row[1]: _Locked(*row) for row in cursor.fetchall()}

    def _open(self, refs: list[AccountRef]) -> None:
        """Insert the missing accounts, in code order so two openers never wait on each other in a
        cycle. One opened meanwhile by another transaction is kept: ``ON CONFLICT DO NOTHING``
        rather than an error caught in a savepoint, two round trips fewer for every new escrow."""
        users = {ref.user_id for ref in refs if ref.user_id is not None}
        if users:
            # Checked here, not left to the foreign key: PostgreSQL defers that check to COMMIT,
            # which may be the caller's, long after this entry.
            from django.contrib.auth import get_user_model

            found = set(get_user_model().objects.filter(pk__in=users, is_active=True).values_list("pk", flat=True))
            if missing := sorted(users - found):
                raise NotFound(_("No user with id %(id)s.") % {"id": repr(missing[0])})
        now = self._clock.now()
        Account.objects.bulk_create(
            [
                Account(code=ref.code, kind=ref.kind, user_id=ref.user_id, order_ref=ref.order_ref, created_at=now)
                for ref in refs
            ],
            ignore_conflicts=True,
        )

    @staticmethod
    def _movements(locked: dict[str, _Locked], plan: Callable) -> dict[str, int]:
        """The postings, merged per account, checked: balanced, nothing below zero or above 21M."""
        movements = _merged(plan({code: row.balance for code, row in locked.items()}), locked)
        for code, amount in movements.items():
            row = locked[code]
            after = row.balance + amount
            if row.kind != Account.Kind.ASSET and after < 0:
                raise _shortfall(row, -amount)
            if abs(after) > MAX_SATS:
                raise InvalidAmount(_("That would hold more bitcoin than will ever exist."))
        return movements

    def _write(self, entry: "_NewEntry", locked: dict[str, _Locked], movements: dict[str, int]) -> int:
        moves = [(locked[code].id, amount, locked[code].balance + amount) for code, amount in movements.items()]
        if connection.vendor == "postgresql":
            return _write_in_one_statement(entry, moves)
        created = JournalEntry.objects.create(**entry._asdict())
        Posting.objects.bulk_create(
            [Posting(entry_id=created.pk, account_id=account_id, amount_sat=amount) for account_id, amount, _ in moves]
        )
        Account.objects.bulk_update(
            [Account(id=account_id, balance_sat=balance) for account_id, _, balance in moves],
            ["balance_sat"],
        )
        return created.pk


def _merged(postings: Postings, accounts: Mapping[str, object]) -> dict[str, int]:
    """Postings merged per account and checked: int amounts, on the entry's accounts, balanced."""
    movements: dict[str, int] = {}
    for ref, amount in postings:
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise TypeError(f"posting amounts are int satoshis, got {amount!r}")
        if ref.code not in accounts:
            raise WalletError(f"account {ref.code} was not locked for this entry")
        movements[ref.code] = movements.get(ref.code, 0) + amount
    movements = {code: amount for code, amount in movements.items() if amount}
    if not movements:
        raise InvalidAmount(_("Nothing to move: the amount is zero."))
    if sum(movements.values()) != 0:
        raise WalletError(f"unbalanced entry: postings sum to {sum(movements.values())}")
    return movements


def _locking_query(count: int) -> str:
    """``SELECT ... FOR UPDATE`` of ``count`` accounts by code, in primary-key order.

    Built by the ORM (``select_for_update()``) once per vendor and size, then reused: compiling
    the same query for every payment cost a third of the hot path's CPU.
    """
    key = (connection.vendor, count)
    sql = _LOCKING_QUERIES.get(key)
    if sql is None:
        queryset = (
            Account.objects.filter(code__in=[f"code{i}" for i in range(count)])
            .order_by("pk")
            .select_for_update()
            .values_list("id", "code", "kind", "order_ref", "balance_sat")
        )
        sql, params = queryset.query.sql_with_params()
        if list(params) != [f"code{i}" for i in range(count)]:
            raise AssertionError(f"unexpected parameters in the locking query: {params!r}")
        _LOCKING_QUERIES[key] = sql
    return sql


_LOCKING_QUERIES: dict[tuple[str, int], str] = {}


# The entry, its postings and the new balances in one round trip (PostgreSQL's data-modifying
# CTEs). Same rows as the ORM path below it; this is the hot path of every payment.
_WRITE_SQL = """
WITH entry AS (
    INSERT INTO wallets_journal_entry
        (idempotency_key, kind, request_hash, memo, order_ref, created_by_id, reverses_id, created_at)
    VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
    RETURNING id
), moves (account_id, amount_sat, balance_sat) AS (
    VALUES {values}
), posted AS (
    INSERT INTO wallets_posting (entry_id, account_id, amount_sat)
    SELECT entry.id, moves.account_id, moves.amount_sat FROM entry, moves
), balances AS (
    UPDATE wallets_account SET balance_sat = moves.balance_sat
    FROM moves WHERE wallets_account.id = moves.account_id
)
SELECT id FROM entry
"""


def _write_in_one_statement(entry: _NewEntry, moves: list[tuple[int, int, int]]) -> int:
    values = ", ".join(["(%s::bigint, %s::bigint, %s::bigint)"] * len(moves))
    params = [*entry, *(value for move in moves for value in move)]
    with _hot_cursor() as cursor:
        cursor.execute(_WRITE_SQL.format(values=values), params)
        return cursor.fetchone()[0]


# A fixed entry in one autocommitted statement: lock the accounts in primary-key order, then,
# only if all of them exist, write the entry, its postings and the balances. Rows locked by
# ``locked`` are updated from their latest version (READ COMMITTED re-reads a row it waited on),
# so ``balance_sat + amount`` never loses a concurrent update.
_ONE_STATEMENT_SQL = """
WITH moves (code, amount_sat) AS (
    VALUES {values}
), locked AS MATERIALIZED (
    SELECT wallets_account.id, wallets_account.code FROM wallets_account
    WHERE wallets_account.code IN (SELECT code FROM moves)
    ORDER BY wallets_account.id FOR UPDATE
), entry AS (
    INSERT INTO wallets_journal_entry
        (idempotency_key, kind, request_hash, memo, order_ref, created_by_id, reverses_id, created_at)
    SELECT %s, %s, %s, %s, %s, %s, %s, %s
    WHERE (SELECT count(*) FROM locked) = %s
    RETURNING id
), posted AS (
    INSERT INTO wallets_posting (entry_id, account_id, amount_sat)
    SELECT entry.id, locked.id, moves.amount_sat FROM entry, locked JOIN moves USING (code)
), balances AS (
    UPDATE wallets_account SET balance_sat = wallets_account.balance_sat + moves.amount_sat
    FROM entry, locked JOIN moves USING (code) WHERE wallets_account.id = locked.id
)
SELECT id FROM entry
"""


def _post_in_one_statement(db, entry: _NewEntry, movements: dict[str, int]) -> "PostedEntry | None":
    """The entry written in one statement, or ``None`` when the full path must write or explain
    it (an account to create, a balance out of bounds, a key already used)."""
    sql = _ONE_STATEMENT_QUERIES.get(len(movements))
    if sql is None:
        values = ", ".join(["(%s::varchar, %s::bigint)"] * len(movements))
        sql = _ONE_STATEMENT_QUERIES[len(movements)] = _ONE_STATEMENT_SQL.format(values=values)
    params = [*(value for move in movements.items() for value in move), *entry, len(movements)]
    db.ensure_connection()
    try:
        with db.wrap_database_errors:
            cursor = _prepared_cursor(db)
            cursor.execute(sql, params, prepare=True)
            row = cursor.fetchone()
    except IntegrityError:
        return None
    if row is None:
        return None
    return PostedEntry(
        entry_id=row[0],
        kind=entry.kind,
        idempotency_key=entry.idempotency_key,
        created_at=entry.created_at,
        postings=tuple(movements.items()),
    )


_ONE_STATEMENT_QUERIES: dict[int, str] = {}
_CURSORS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _prepared_cursor(db):
    """One psycopg cursor per database connection for the one-statement path, kept: making one
    per payment was a tenth of its client time. Its statements are prepared once per connection."""
    raw = db.connection
    cursor = _CURSORS.get(raw)
    if cursor is None or cursor.closed:
        import psycopg

        _allow_preparing(db)
        cursor = _CURSORS[raw] = psycopg.Cursor(raw)
    return cursor


# psycopg prepares nothing, ``prepare=True`` included, while a connection's ``prepare_threshold``
# is None, which is what Django sets unless the settings' OPTIONS name one (transaction-pooling
# proxies lose prepared statements). Unprepared, the one-statement path cost the server twice the
# CPU of a prepared one (parsed and planned on every payment). So the ledger turns preparing on
# for what asks for it (Django's own cursors bind on the client and never prepare), unless the
# settings say ``prepare_threshold`` themselves: then theirs stands.
_ONLY_WHEN_ASKED = 2**31


def _allow_preparing(db) -> None:
    raw = db.connection
    if raw.prepare_threshold is None and "prepare_threshold" not in db.settings_dict.get("OPTIONS", {}):
        raw.prepare_threshold = _ONLY_WHEN_ASKED


@contextmanager
def _hot_cursor():
    """On PostgreSQL, a server-side-binding psycopg cursor whose statements are prepared once
    per connection (the two hot-path statements then skip parsing and planning); database
    errors still arrive as Django's (``IntegrityError`` for a replayed key). Elsewhere, Django's."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            yield cursor
        return
    import psycopg

    connection.ensure_connection()
    _allow_preparing(connection)
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as raw:
        yield _Prepared(raw)


class _Prepared:
    def __init__(self, cursor):
        self._cursor = cursor

    def execute(self, sql, params):
        return self._cursor.execute(sql, params, prepare=True)

    def fetchone(self):
        return self._cursor.fetchone()

    def fetchall(self):
        return self._cursor.fetchall()


def _shortfall(account: _Locked, needed: int) -> WalletError:
    have = format_btc(account.balance)
    want = format_btc(needed)
    if account.kind == Account.Kind.ESCROW:
        return EscrowError(
            _("The escrow of order %(order)s holds %(have)s BTC; %(want)s BTC cannot come out of it.")
            % {"order": account.order_ref, "have": have, "want": want}
        )
    error = InsufficientFunds(
        _("Insufficient funds: the available balance is %(have)s BTC and this needs %(want)s BTC.")
        % {"have": have, "want": want},
        field="amount",
    )
    error.account_code = account.code
    return error


def _retryable(exc: OperationalError) -> bool:
    cause = exc.__cause__
    return getattr(cause, "sqlstate", None) in _RETRYABLE_SQLSTATES
