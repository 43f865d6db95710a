"""The ledger audit: the invariants the money rests on, checked against the tables.

* every entry has postings and they sum to zero;
* no claim (user balance, escrow, fees, pending withdrawal) is negative, cached or recomputed;
* every account's cached balance equals the sum of its postings; all balances sum to zero;
* each user's pending-withdrawal account holds exactly their pending withdrawals;
* each escrow holds what the order owning it expects, once a module registered expectations
  (``EscrowExpectations``): wallets never imports orders.

``audit()`` checks everything (``manage.py ledger_audit``); ``audit(recent=N)`` limits the
per-entry and per-account sums to the last N entries (leaving out the asset and fees accounts,
whose history is most of the ledger), for the health check that runs often.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce

from marketplace.wallets.models import Account, JournalEntry, Posting, Withdrawal

if TYPE_CHECKING:
    from services.escrow_expectations import EscrowExpectations

SHOWN = 20  # examples kept per violated check


@dataclass
class Check:
    name: str
    status: str = "ok"  # ok | violation | skipped
    detail: str = ""
    count: int = 0
    examples: list = field(default_factory=list)


@dataclass
class AuditReport:
    scope: str
    checks: list[Check]
    totals: dict

    @property
    def ok(self) -> bool:
        return all(check.status != "violation" for check in self.checks)

    @property
    def violations(self) -> list[Check]:
        return [check for check in self.checks if check.status == "violation"]

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "scope": self.scope,
            "totals": self.totals,
            "checks": [asdict(check) for check in self.checks],
        }


class LedgerAuditor:
    def __init__(self, *, expectations: EscrowExpectations):
        self._expectations = expectations

    def audit(self, *, recent: int | None = None) -> AuditReport:
        since = self._first_recent_entry(recent) if recent else None
        checks = [
            self._entries_balanced(since),
            self._no_negative_claims(),
            self._cached_balances(since),
            self._ledger_sums_to_zero(),
            self._pending_withdrawals(),
            self._escrows(),
        ]
        scope = "full" if not recent else f"last {recent} entries"
        return AuditReport(scope=scope, checks=checks, totals=self._totals(count=not recent))

    @staticmethod
    def _first_recent_entry(recent: int) -> int:
        nth = max(1, recent)
        ids = JournalEntry.objects.order_by("-id").values_list("id", flat=True)[nth - 1 : nth]
        return next(iter(ids), 0)  # fewer entries than that: all of them

    @staticmethod
    def _entries_balanced(since: int | None) -> Check:
        check = Check("entries_balanced")
        entries = JournalEntry.objects.all() if since is None else JournalEntry.objects.filter(id__gte=since)
        bad = (
            entries.annotate(total=Coalesce(Sum("postings__amount_sat"), 0), n=Count("postings"))
            .filter(~Q(total=0) | Q(n__lt=2))
            .values("id", "kind", "total", "n")
            .order_by("id")
        )
        rows = list(bad[: SHOWN + 1])
        if rows:
            check.status = "violation"
            check.count = bad.count() if len(rows) > SHOWN else len(rows)
            check.examples = [
                {"entry": r["id"], "kind": r["kind"], "sum_sat": r["total"], "postings": r["n"]} for r in rows[:SHOWN]
            ]
            check.detail = f"{check.count} entr(y/ies) whose postings do not sum to zero or are fewer than two"
        return check

    @staticmethod
    def _no_negative_claims() -> Check:
        check = Check("no_negative_balance")
        bad = Account.objects.exclude(kind=Account.Kind.ASSET).filter(balance_sat__lt=0).order_by("id")
        rows = list(bad.values("code", "balance_sat")[: SHOWN + 1])
        if rows:
            check.status = "violation"
            check.count = bad.count()
            check.examples = rows[:SHOWN]
            check.detail = f"{check.count} account(s) below zero"
        return check

    @staticmethod
    def _cached_balances(since: int | None) -> Check:
        check = Check("cached_balances")
        accounts = Account.objects.all()
        if since is not None:
            # The asset and fees accounts take part in a large share of all entries: summing
            # their whole history is the full audit's job, not a health probe's.
            touched = Posting.objects.filter(entry_id__gte=since).values("account_id")
            accounts = accounts.filter(id__in=touched).exclude(kind__in=[Account.Kind.ASSET, Account.Kind.FEES])
        bad = (
            accounts.annotate(total=Coalesce(Sum("postings__amount_sat"), 0))
            .exclude(balance_sat=F("total"))
            .values("code", "balance_sat", "total")
            .order_by("id")
        )
        rows = list(bad[: SHOWN + 1])
        if rows:
            check.status = "violation"
            check.count = bad.count() if len(rows) > SHOWN else len(rows)
            check.examples = [
                {"account": r["code"], "cached_sat": r["balance_sat"], "postings_sat": r["total"]} for r in rows[:SHOWN]
            ]
            check.detail = f"{check.count} account(s) whose cached balance differs from the sum of their postings"
        return check

    @staticmethod
    def _ledger_sums_to_zero() -> Check:
        check = Check("ledger_sums_to_zero")
        total = Account.objects.aggregate(total=Coalesce(Sum("balance_sat"), 0))["total"]
        if total != 0:
            check.status = "violation"
            check.count = 1
            check.detail = f"all balances together sum to {total} sat, not 0"
            check.examples = [{"sum_sat": total}]
        return check

    @staticmethod
    def _pending_withdrawals() -> Check:
        check = Check("pending_withdrawals")
        expected = {
            row["user_id"]: row["total"]
            for row in Withdrawal.objects.filter(status=Withdrawal.Status.PENDING)
            .values("user_id")
            .annotate(total=Sum(F("amount_sat") + F("fee_sat")))
        }
        held = dict(
            Account.objects.filter(kind=Account.Kind.WITHDRAWAL)
            .exclude(balance_sat=0)
            .values_list("user_id", "balance_sat")
        )
        bad = [
            {
                "user": uid,
                "pending_account_sat": held.get(uid, 0),
                "pending_withdrawals_sat": expected.get(uid, 0),
            }
            for uid in sorted(set(expected) | set(held))
            if held.get(uid, 0) != expected.get(uid, 0)
        ]
        if bad:
            check.status = "violation"
            check.count = len(bad)
            check.examples = bad[:SHOWN]
            check.detail = f"{len(bad)} user(s) whose pending-withdrawal account differs from their pending requests"
        return check

    def _escrows(self) -> Check:
        check = Check("escrow_matches_orders")
        try:
            expected = self._expectations.expected()
        except Exception as exc:  # a broken extension is a finding, not a crash of the audit
            check.status = "violation"
            check.count = 1
            check.detail = f"an escrow expectation source failed: {type(exc).__name__}: {exc}"
            return check
        held = dict(
            Account.objects.filter(kind=Account.Kind.ESCROW)
            .exclude(balance_sat=0)
            .values_list("order_ref", "balance_sat")
        )
        if expected is None:
            check.status = "skipped"
            check.detail = (
                f"no module has registered escrow expectations; {len(held)} escrow(s) hold {sum(held.values())} sat"
            )
            return check
        bad = [
            {"order_ref": ref, "escrow_sat": held.get(ref, 0), "expected_sat": expected.get(ref, 0)}
            for ref in sorted(set(expected) | set(held))
            if held.get(ref, 0) != expected.get(ref, 0)
        ]
        check.detail = f"{len(expected)} open order(s) checked by {', '.join(self._expectations.owners())}"
        if bad:
            check.status = "violation"
            check.count = len(bad)
            check.examples = bad[:SHOWN]
            check.detail = f"{len(bad)} escrow(s) differ from what their order expects"
        return check

    @staticmethod
    def _totals(*, count: bool) -> dict:
        by_kind = dict(Account.objects.values_list("kind").annotate(total=Sum("balance_sat")).order_by())
        return {
            "custody_sat": -(by_kind.get(Account.Kind.ASSET) or 0),
            "user_available_sat": by_kind.get(Account.Kind.USER) or 0,
            "pending_withdrawal_sat": by_kind.get(Account.Kind.WITHDRAWAL) or 0,
            "escrow_sat": by_kind.get(Account.Kind.ESCROW) or 0,
            "fees_sat": by_kind.get(Account.Kind.FEES) or 0,
            # COUNT(*) reads the whole table on PostgreSQL: the latest id is enough for a probe.
            "entries": JournalEntry.objects.count()
            if count
            else JournalEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0,
        }
