"""Hypothesis drives random sequences of every money movement, with idempotency replays, and
checks after each step that the database agrees with a model kept in plain Python and that the
ledger audit finds nothing.

Each example runs inside a savepoint rolled back at its end, so examples start from empty tables.
"""

import itertools

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from marketplace.wallets.models import Account
from services.errors import (
    EscrowError,
    IdempotencyConflict,
    InsufficientFunds,
    WithdrawalError,
)
from tests.support.wallets import fake_txid, finance_pair

pytestmark = pytest.mark.django_db

USERS = 3
ORDERS = ["ORD-A", "ORD-B", "ORD-C"]
OUTSIDE = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"
amounts = st.integers(min_value=1, max_value=3_000_000)
# A share of what is there: mostly possible, sometimes (share > 1) more than there is.
shares = st.sampled_from([0.01, 0.1, 0.33, 0.5, 0.99, 1.0, 1.5])


def share_of(balance: int, share: float) -> int:
    return max(1, int(balance * share))


class WalletMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        from containers import container

        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        User = get_user_model()
        run = next(_runs)
        self.users = [User.objects.create_user(f"sm{run}u{i}", f"sm{run}u{i}@example.com", "x") for i in range(USERS)]
        # Money in and out goes through four eyes: two finance members, neither of them a user here.
        self.staff, self.staff2 = finance_pair(f"sm{run}fin")
        self.service = container.wallets.wallet_service()
        self.auditor = container.wallets.ledger_auditor()
        self.fee = self.service.withdrawal_fee_sat
        self.minimum = self.service.withdrawal_min_sat
        self.available = [0] * USERS
        self.pending = [0] * USERS
        self.escrow = dict.fromkeys(ORDERS, 0)
        self.fees = 0
        self.custody = 0
        self.keys = itertools.count()
        self.done: list[tuple] = []  # (callable, kwargs, result) of successful calls, for replays
        self.withdrawals: dict[int, tuple[int, int]] = {}  # id -> (user index, total)

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    def _key(self) -> str:
        return f"k{next(self.keys)}"

    def _call(self, method, **kwargs):
        result = getattr(self.service, method)(**kwargs)
        self.done.append((method, kwargs, result))
        return result

    @initialize(opening=st.lists(amounts, min_size=USERS, max_size=USERS))
    def fund_everyone(self, opening):
        for who, amount in enumerate(opening):
            self.deposit(who, amount)

    @rule(who=st.integers(0, USERS - 1), amount=amounts)
    def deposit(self, who, amount):
        proposed = self._call(
            "propose_deposit",
            staff_user_id=self.staff.pk,
            user_id=self.users[who].pk,
            amount_sat=amount,
            txid=fake_txid(),
            vout=0,
        )
        assert self.available[who] == self.balance_of(who)  # a proposal credits nothing
        self._call("confirm_deposit", staff_user_id=self.staff2.pk, deposit_id=proposed.deposit_id)
        self.available[who] += amount
        self.custody += amount

    def balance_of(self, who: int) -> int:
        row = Account.objects.filter(code=f"user:{self.users[who].pk}").values_list("balance_sat", flat=True)
        return row.first() or 0

    @rule(sender=st.integers(0, USERS - 1), recipient=st.integers(0, USERS - 1), share=shares)
    def transfer(self, sender, recipient, share):
        if sender == recipient:
            return
        amount = share_of(self.available[sender], share)
        kwargs = dict(
            sender_id=self.users[sender].pk,
            recipient_id=self.users[recipient].pk,
            amount_sat=amount,
            idempotency_key=self._key(),
        )
        if amount > self.available[sender]:
            with pytest.raises(InsufficientFunds):
                self.service.transfer(**kwargs)
            return
        self._call("transfer", **kwargs)
        self.available[sender] -= amount
        self.available[recipient] += amount

    @rule(buyer=st.integers(0, USERS - 1), order=st.sampled_from(ORDERS), share=shares)
    def hold(self, buyer, order, share):
        amount = share_of(self.available[buyer], share)
        kwargs = dict(
            buyer_id=self.users[buyer].pk,
            order_ref=order,
            amount_sat=amount,
            idempotency_key=self._key(),
        )
        if amount > self.available[buyer]:
            with pytest.raises(InsufficientFunds):
                self.service.hold(**kwargs)
            return
        self._call("hold", **kwargs)
        self.available[buyer] -= amount
        self.escrow[order] += amount

    @rule(order=st.sampled_from(ORDERS), vendor=st.integers(0, USERS - 1), bps=st.integers(0, 10_000))
    def release(self, order, vendor, bps):
        kwargs = dict(
            order_ref=order,
            vendor_id=self.users[vendor].pk,
            commission_bps=bps,
            idempotency_key=self._key(),
        )
        held = self.escrow[order]
        if held == 0:
            with pytest.raises(EscrowError):
                self.service.release(**kwargs)
            return
        self._call("release", **kwargs)
        commission = held * bps // 10_000
        self.available[vendor] += held - commission
        self.fees += commission
        self.escrow[order] = 0

    @rule(order=st.sampled_from(ORDERS), buyer=st.integers(0, USERS - 1), share=shares)
    def refund(self, order, buyer, share):
        held = self.escrow[order]
        amount = share_of(held, share)
        kwargs = dict(
            order_ref=order,
            buyer_id=self.users[buyer].pk,
            amount_sat=amount,
            idempotency_key=self._key(),
        )
        if amount > held:
            with pytest.raises(EscrowError):
                self.service.refund(**kwargs)
            return
        self._call("refund", **kwargs)
        self.escrow[order] -= amount
        self.available[buyer] += amount

    @rule(
        order=st.sampled_from(ORDERS),
        buyer=st.integers(0, USERS - 1),
        vendor=st.integers(0, USERS - 1),
        share=shares,
        bps=st.integers(0, 10_000),
    )
    def split(self, order, buyer, vendor, share, bps):
        if buyer == vendor:
            return
        to_buyer = share_of(self.escrow[order], share)
        kwargs = dict(
            order_ref=order,
            buyer_id=self.users[buyer].pk,
            vendor_id=self.users[vendor].pk,
            buyer_sat=to_buyer,
            commission_bps=bps,
            idempotency_key=self._key(),
        )
        held = self.escrow[order]
        if to_buyer >= held:
            with pytest.raises(EscrowError):
                self.service.split(**kwargs)
            return
        self._call("split", **kwargs)
        to_vendor = held - to_buyer
        commission = to_vendor * bps // 10_000
        self.available[buyer] += to_buyer
        self.available[vendor] += to_vendor - commission
        self.fees += commission
        self.escrow[order] = 0

    @rule(who=st.integers(0, USERS - 1), share=shares)
    def request_withdrawal(self, who, share):
        amount = share_of(self.available[who], share)
        kwargs = dict(
            user_id=self.users[who].pk,
            address=OUTSIDE,
            amount_sat=amount,
            idempotency_key=self._key(),
        )
        total = amount + self.fee
        if amount < self.minimum:
            with pytest.raises(WithdrawalError):
                self.service.request_withdrawal(**kwargs)
            return
        if total > self.available[who]:
            with pytest.raises(InsufficientFunds):
                self.service.request_withdrawal(**kwargs)
            return
        result = self._call("request_withdrawal", **kwargs)
        self.withdrawals[result.withdrawal_id] = (who, total)
        self.available[who] -= total
        self.pending[who] += total

    @precondition(lambda self: self.withdrawals)
    @rule(data=st.data(), outcome=st.sampled_from(["approve", "reject", "cancel"]))
    def settle_withdrawal(self, data, outcome):
        wid = data.draw(st.sampled_from(sorted(self.withdrawals)))
        who, total = self.withdrawals.pop(wid)
        if outcome == "approve":
            if total - self.fee > self.service.withdrawal_second_approval_sat:  # two approvers
                first = self.service.approve_withdrawal(staff_user_id=self.staff2.pk, withdrawal_id=wid)
                assert (first.status, first.approvals, first.approvals_required) == ("pending", 1, 2)
                withdrawn = Account.objects.get(code=f"withdrawal:{self.users[who].pk}").balance_sat
                assert withdrawn == self.pending[who]  # nothing left before the second approval
            self._call(
                "approve_withdrawal",
                staff_user_id=self.staff.pk,
                withdrawal_id=wid,
                txid=fake_txid(),
            )
            self.custody -= total
        elif outcome == "reject":
            self._call("reject_withdrawal", staff_user_id=self.staff.pk, withdrawal_id=wid, reason="no")
            self.available[who] += total
        else:
            self._call("cancel_withdrawal", user_id=self.users[who].pk, withdrawal_id=wid)
            self.available[who] += total
        self.pending[who] -= total
        for other in ("approve", "reject"):  # a second settlement of any kind moves nothing more
            if other != outcome:
                with pytest.raises(WithdrawalError):
                    if other == "approve":
                        self.service.approve_withdrawal(
                            staff_user_id=self.staff.pk, withdrawal_id=wid, txid=fake_txid()
                        )
                    else:
                        self.service.reject_withdrawal(staff_user_id=self.staff.pk, withdrawal_id=wid, reason="late")

    @precondition(lambda self: self.done)
    @rule(data=st.data())
    def replay(self, data):
        """The same call again: the first result comes back and nothing moves."""
        method, kwargs, first = data.draw(st.sampled_from(self.done))
        again = getattr(self.service, method)(**kwargs)
        assert again.replayed
        if hasattr(first, "entry_id"):
            assert again.entry_id == first.entry_id
        else:
            assert getattr(again, "withdrawal_id", None) == getattr(first, "withdrawal_id", None)

    @precondition(lambda self: any(m in ("transfer", "hold", "request_withdrawal") for m, _, _ in self.done))
    @rule(data=st.data())
    def replay_with_other_parameters(self, data):
        """The same key with another amount: refused, nothing moves."""
        method, kwargs, _ = data.draw(
            st.sampled_from([d for d in self.done if d[0] in ("transfer", "hold", "request_withdrawal")])
        )
        changed = {**kwargs, "amount_sat": kwargs["amount_sat"] + 1}
        with pytest.raises((IdempotencyConflict, WithdrawalError)):
            getattr(self.service, method)(**changed)

    @invariant()
    def database_agrees_with_the_model(self):
        rows = dict(Account.objects.values_list("code", "balance_sat"))
        for i, user in enumerate(self.users):
            assert rows.get(f"user:{user.pk}", 0) == self.available[i]
            assert rows.get(f"withdrawal:{user.pk}", 0) == self.pending[i]
        for order, held in self.escrow.items():
            assert rows.get(f"escrow:{order}", 0) == held
        assert rows.get("fees", 0) == self.fees
        assert rows.get("asset:onchain", 0) == -self.custody
        assert all(v >= 0 for code, v in rows.items() if code != "asset:onchain")

    @invariant()
    def the_audit_finds_nothing(self):
        report = self.auditor.audit()
        assert report.ok, [(c.name, c.detail, c.examples) for c in report.violations]


_runs = itertools.count()


def test_random_money_movements_keep_every_invariant(started_runtime, escrow_expectations_alone):
    run_state_machine_as_test(
        WalletMachine,
        settings=settings(
            max_examples=40,
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            database=None,
        ),
    )
