"""Hypothesis drives random buyers, vendors and staff through checkout, accept, decline,
cancel, ship, confirm, dispute, resolve and timeouts (time moved by a manual clock), with
replays and people acting out of turn. After every step: the database agrees with a model kept
in plain Python, money is conserved, escrow equals the open orders, no balance is negative,
stock never goes below zero, and every order's history is a legal path through the states.

Each example runs inside a savepoint rolled back at its end, so examples start from empty tables.
The rules record what happened with ``hypothesis.event`` (accepted, refused as NotFound...), to
check by hand that the runs reach every state rather than being refused at every turn.
"""

import itertools
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from marketplace.orders.models import Order, OrderEvent
from marketplace.products.models import Product
from marketplace.wallets.models import Account
from services.clock import ManualClock
from services.errors import (
    CatalogError,
    IllegalTransition,
    InsufficientFunds,
    NotFound,
    PermissionDenied,
)
from tests.support.wallets import credit, finance_pair

pytestmark = pytest.mark.django_db

DAY = 86_400
BPS = 250
ACCEPT_DAYS, FINALIZE_DAYS = 3, 14
OPEN = {"funded", "accepted", "shipped", "disputed"}
# Every legal step of an order's history, written out here independently of services/order_states.py.
LEGAL = {
    ("", "funded"),
    ("funded", "accepted"),
    ("funded", "declined"),
    ("funded", "cancelled"),
    ("funded", "expired"),
    ("accepted", "shipped"),
    ("shipped", "completed"),
    ("accepted", "disputed"),
    ("shipped", "disputed"),
    ("disputed", "resolved"),
}
# action -> (states it starts from, roles that may take it)
RULES = {
    "accept": ({"funded"}, {"vendor"}),
    "decline": ({"funded"}, {"vendor"}),
    "cancel": ({"funded"}, {"buyer"}),
    "ship": ({"accepted"}, {"vendor"}),
    "confirm": ({"shipped"}, {"buyer"}),
    "dispute": ({"accepted", "shipped"}, {"buyer", "vendor"}),
}
TARGET = {
    "accept": "accepted",
    "decline": "declined",
    "cancel": "cancelled",
    "ship": "shipped",
    "confirm": "completed",
    "dispute": "disputed",
}
_runs = itertools.count()


def _any(machine, *states) -> bool:
    return any(o["state"] in states for o in machine.model.values())


class OrderMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        from containers import container

        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.clock = ManualClock(timezone.now().replace(microsecond=0))
        self._clock = container.core.clock.override(self.clock)
        run = self.run = next(_runs)
        User = get_user_model()
        make = lambda name, **extra: User.objects.create_user(  # noqa: E731
            f"o{run}{name}", f"o{run}{name}@example.com", "x", **extra
        )
        self.staff = make("staff")
        # One staff member who approves the shops (moderator) and rules on disputes (finance).
        container.core.staff_access().set_roles(user_id=self.staff.pk, roles=["moderator", "finance"])
        self.buyers = [make("b0"), make("b1")]
        self.vendors = [make("v0"), make("v1")]
        self.people = [*self.buyers, *self.vendors, self.staff]
        self.wallets = container.wallets.wallet_service()
        self.orders = container.orders.order_service()
        self.auditor = container.wallets.ledger_auditor()
        vendors, catalog = container.vendors.vendor_service(), container.products.catalog_service()
        category = catalog.create_category(name="Things", slug=f"things-{run}")
        self.stock, self.price, self.vendor_of = {}, {}, {}
        for v, user in enumerate(self.vendors):
            shop = vendors.apply(user_id=user.pk, shop_name=f"Shop {run} {v}", slug=f"shop-{run}-{v}", description="")
            vendors.approve(staff_id=self.staff.pk, vendor_id=shop.id)
            for p, price in enumerate((40_000 + 10_000 * v, 95_000 + 7 * v)):
                pid = catalog.create_product(
                    actor_id=user.pk,
                    title=f"Thing {v}-{p}",
                    description="",
                    price_sat=price,
                    stock=5,
                    category_id=category,
                )
                self.stock[pid], self.price[pid], self.vendor_of[pid] = 5, price, user.pk
        self.products = sorted(self.stock)
        self.balance = {u.pk: 0 for u in self.people}
        self.custody = 0
        self.fees = 0
        # reference -> what the order should be, in the order they were placed (references are
        # random: drawing from them sorted would make Hypothesis's replays draw differently)
        self.model: dict[str, dict] = {}
        self.checkouts: list[tuple[dict, object]] = []  # (kwargs, result) for replays
        self.keys = itertools.count()

    def teardown(self):
        self._clock.__exit__(None, None, None)
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # money in
    def deposit(self, user, amount):  # four eyes: staff proposes, a second finance member confirms
        credit(
            self.wallets,
            user_id=user.pk,
            amount_sat=amount,
            proposer_id=self.staff.pk,
            confirmer_id=finance_pair(f"o{self.run}fin")[1].pk,
        )
        self.balance[user.pk] += amount
        self.custody += amount

    @initialize(amounts=st.lists(st.integers(150_000, 2_000_000), min_size=2, max_size=2))
    def fund_buyers(self, amounts):
        for buyer, amount in zip(self.buyers, amounts, strict=True):
            if amount:
                self.deposit(buyer, amount)

    @rule(who=st.integers(0, 1), amount=st.integers(50_000, 500_000))
    def top_up(self, who, amount):
        self.deposit(self.buyers[who], amount)

    # checkout
    @rule(who=st.integers(0, 1), picks=st.dictionaries(st.integers(0, 3), st.integers(1, 2), min_size=1, max_size=3))
    def checkout(self, who, picks):
        buyer = self.buyers[who]
        items = {self.products[i]: qty for i, qty in picks.items()}
        kwargs = dict(buyer_id=buyer.pk, idempotency_key=f"k{next(self.keys)}", items=items)
        total = sum(self.price[p] * q for p, q in items.items())
        if any(self.stock[p] < q for p, q in items.items()):
            event("checkout: out of stock")
            with pytest.raises(CatalogError):
                self.orders.checkout(**kwargs)
            return
        if total > self.balance[buyer.pk]:
            event("checkout: insufficient funds")
            with pytest.raises(InsufficientFunds):
                self.orders.checkout(**kwargs)
            return
        result = self.orders.checkout(**kwargs)
        event(f"checkout: {len(result.references)} order(s)")
        assert result.total_sat == total and not result.replayed
        self.checkouts.append((kwargs, result))
        self.balance[buyer.pk] -= total
        for p, q in items.items():
            self.stock[p] -= q
        now = self.clock.now()
        for ref in result.references:
            vendor_pk = Order.objects.filter(reference=ref).values_list("vendor__user_id", flat=True).get()
            lines = {p: q for p, q in items.items() if self.vendor_of[p] == vendor_pk}
            self.model[ref] = dict(
                state="funded",
                buyer=buyer.pk,
                vendor=vendor_pk,
                lines=lines,
                total=sum(self.price[p] * q for p, q in lines.items()),
                accept_by=now + timedelta(days=ACCEPT_DAYS),
                complete_at=None,
                disputed_from=None,
            )
        assert {self.model[r]["vendor"] for r in result.references} == {self.vendor_of[p] for p in items}

    @precondition(lambda self: self.checkouts)
    @rule(data=st.data())
    def replay_checkout(self, data):
        kwargs, first = data.draw(st.sampled_from(self.checkouts))
        again = self.orders.checkout(**kwargs)
        assert again.replayed and again.references == first.references and again.total_sat == first.total_sat

    # transitions: the right person at the right moment (one rule each, so each is drawn often),
    # and anyone at all at any moment
    def _in_turn(self, data, action, role):
        ref = data.draw(st.sampled_from([r for r, o in self.model.items() if o["state"] in RULES[action][0]]))
        self._do(action, ref, self.model[ref][role])

    @precondition(lambda self: _any(self, "funded"))
    @rule(data=st.data())
    def vendor_accepts(self, data):
        self._in_turn(data, "accept", "vendor")

    @precondition(lambda self: _any(self, "funded"))
    @rule(data=st.data())
    def vendor_declines(self, data):
        self._in_turn(data, "decline", "vendor")

    @precondition(lambda self: _any(self, "funded"))
    @rule(data=st.data())
    def buyer_cancels(self, data):
        self._in_turn(data, "cancel", "buyer")

    @precondition(lambda self: _any(self, "accepted"))
    @rule(data=st.data())
    def vendor_ships(self, data):
        self._in_turn(data, "ship", "vendor")

    @precondition(lambda self: _any(self, "shipped"))
    @rule(data=st.data())
    def buyer_confirms(self, data):
        self._in_turn(data, "confirm", "buyer")

    @precondition(lambda self: _any(self, "accepted", "shipped"))
    @rule(data=st.data(), by_vendor=st.booleans())
    def someone_disputes(self, data, by_vendor):
        self._in_turn(data, "dispute", "vendor" if by_vendor else "buyer")

    @precondition(lambda self: self.model)
    @rule(data=st.data(), action=st.sampled_from(sorted(RULES)), who=st.integers(0, 4))
    def act_out_of_turn(self, data, action, who):
        ref = data.draw(st.sampled_from(list(self.model)))
        self._do(action, ref, self.people[who].pk)

    def _do(self, action, ref, actor_pk):
        order = self.model[ref]
        kwargs = dict(actor_id=actor_pk, reference=ref)
        if action == "dispute":
            kwargs["reason"] = "Something went wrong with it."
        call = getattr(self.orders, "open_dispute" if action == "dispute" else action)
        refusal = self._refusal(action, order, self._role(order, actor_pk))
        event(f"{action}: {refusal.__name__ if refusal else 'done'}")  # see the module's docstring
        if refusal is not None:
            with pytest.raises(refusal):
                call(**kwargs)
            return
        call(**kwargs)
        now = self.clock.now()
        if action in ("decline", "cancel"):
            self._refund(order)
        elif action == "confirm":
            self._release(order)
        elif action == "ship":
            order["complete_at"] = now + timedelta(days=FINALIZE_DAYS)
        elif action == "dispute":
            order["disputed_from"], order["complete_at"] = order["state"], None
        order["state"] = TARGET[action]

    @precondition(lambda self: any(o["state"] == "disputed" for o in self.model.values()))
    @rule(
        data=st.data(),
        ruling=st.sampled_from(["refund", "release", "split"]),
        percent=st.integers(1, 99),
        by_staff=st.booleans(),
    )
    def resolve(self, data, ruling, percent, by_staff):
        ref = data.draw(st.sampled_from([r for r, o in self.model.items() if o["state"] == "disputed"]))
        order = self.model[ref]
        kwargs = dict(reference=ref, ruling=ruling, note="Ruled.", buyer_percent=percent if ruling == "split" else None)
        if not by_staff:
            with pytest.raises(PermissionDenied):
                self.orders.resolve_dispute(staff_id=order["buyer"], **kwargs)
            return
        self.orders.resolve_dispute(staff_id=self.staff.pk, **kwargs)
        event(f"resolve: {ruling}")
        if ruling == "refund":
            self._refund(order, restock=order["disputed_from"] == "accepted")
        elif ruling == "release":
            self._release(order)
        else:
            to_buyer = order["total"] * percent // 100
            to_vendor = order["total"] - to_buyer
            commission = to_vendor * BPS // 10_000
            self.balance[order["buyer"]] += to_buyer
            self.balance[order["vendor"]] += to_vendor - commission
            self.fees += commission
        order["state"] = "resolved"

    @precondition(lambda self: _any(self, "funded", "shipped"))
    @rule(days=st.sampled_from([0, 1, 2, 3, 15]), hours=st.integers(0, 23))
    def time_passes(self, days, hours):
        self.clock.advance(days=days, hours=hours)
        now = self.clock.now()
        report = self.orders.process_timeouts()
        expired = sorted(r for r, o in self.model.items() if o["state"] == "funded" and o["accept_by"] <= now)
        completed = sorted(r for r, o in self.model.items() if o["state"] == "shipped" and o["complete_at"] <= now)
        assert sorted(report.expired) == expired and sorted(report.completed) == completed and report.ok
        event(f"timeouts: {len(expired)} expired, {len(completed)} completed")
        for ref in expired:
            self._refund(self.model[ref])
            self.model[ref]["state"] = "expired"
        for ref in completed:
            self._release(self.model[ref])
            self.model[ref]["state"] = "completed"
        again = self.orders.process_timeouts()  # idempotent
        assert again.expired == () and again.completed == ()

    # the model's rules, written apart from the service's
    def _role(self, order, actor_pk):
        if actor_pk == order["buyer"]:
            return "buyer"
        if actor_pk == order["vendor"]:
            return "vendor"
        if actor_pk == self.staff.pk:  # finance look at any order, and act only in a dispute
            return "staff" if order["disputed_from"] is not None else "onlooker"
        return None

    def _refusal(self, action, order, role):
        sources, roles = RULES[action]
        if role is None:
            return NotFound
        if role == "onlooker":
            return PermissionDenied
        if role not in roles or order["state"] not in sources:
            return IllegalTransition
        now = self.clock.now()
        if action == "accept" and now > order["accept_by"]:
            return IllegalTransition
        if action == "dispute" and order["state"] == "shipped" and now >= order["complete_at"]:
            return IllegalTransition
        return None

    def _refund(self, order, restock=True):
        self.balance[order["buyer"]] += order["total"]
        if restock:
            for p, q in order["lines"].items():
                self.stock[p] += q

    def _release(self, order):
        commission = order["total"] * BPS // 10_000
        self.balance[order["vendor"]] += order["total"] - commission
        self.fees += commission

    # after every step
    @invariant()
    def database_agrees_with_the_model(self):
        rows = dict(Account.objects.values_list("code", "balance_sat"))
        for pk, expected in self.balance.items():
            assert rows.get(f"user:{pk}", 0) == expected
        assert rows.get("fees", 0) == self.fees
        states = dict(Order.objects.values_list("reference", "state"))
        assert states == {ref: o["state"] for ref, o in self.model.items()}
        for ref, order in self.model.items():
            assert rows.get(f"escrow:{ref}", 0) == (order["total"] if order["state"] in OPEN else 0)
        stock = dict(Product.objects.filter(pk__in=self.products).values_list("pk", "stock"))
        assert stock == self.stock and min(stock.values()) >= 0

    @invariant()
    def money_is_conserved_and_never_negative(self):
        rows = list(Account.objects.values_list("kind", "balance_sat"))
        assert sum(b for kind, b in rows if kind != "asset") == self.custody
        assert all(b >= 0 for kind, b in rows if kind != "asset")
        open_total = sum(o["total"] for o in self.model.values() if o["state"] in OPEN)
        assert sum(b for kind, b in rows if kind == "escrow") == open_total

    @invariant()
    def every_history_is_a_legal_path(self):
        chains: dict[int, list[tuple[str, str]]] = {}
        for order_id, frm, to in OrderEvent.objects.order_by("pk").values_list("order_id", "from_state", "to_state"):
            chains.setdefault(order_id, []).append((frm, to))
        current = dict(Order.objects.values_list("pk", "state"))
        assert set(chains) == set(current)
        for order_id, steps in chains.items():
            assert all(step in LEGAL for step in steps), steps
            assert all(a[1] == b[0] for a, b in itertools.pairwise(steps)), steps
            assert steps[0][0] == "" and steps[-1][1] == current[order_id]

    @invariant()
    def the_audit_finds_nothing(self):
        report = self.auditor.audit()
        assert report.ok, [(c.name, c.detail, c.examples) for c in report.violations]


def test_random_orders_keep_every_invariant(started_runtime):
    run_state_machine_as_test(
        OrderMachine,
        settings=settings(
            max_examples=40,
            stateful_step_count=50,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            database=None,
        ),
    )
