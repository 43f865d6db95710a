"""Two people acting on the same order at the same moment, from separate threads (separate
PostgreSQL connections), many times over: exactly one wins each time, the other is told the
order changed, and the ledger stays balanced. Also two checkouts spending one balance, a
double-clicked checkout, and the timeouts command running on several "machines" at once."""

from functools import partial

import pytest

from marketplace.orders.models import Order
from marketplace.wallets.models import JournalEntry
from services.errors import IllegalTransition, InsufficientFunds, OrderChanged
from tests.support.orders import balance, escrow
from tests.support.races import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROUNDS = 25


def one_winner(outcomes, refused_with=(IllegalTransition,)):
    wins = [i for i, (kind, _) in enumerate(outcomes) if kind == "ok"]
    assert len(wins) == 1, outcomes
    loser = outcomes[1 - wins[0]][1]
    assert isinstance(loser, refused_with), repr(loser)
    return wins[0]


def audit_ok(ledger_auditor):
    report = ledger_auditor.audit()
    assert report.ok, [(c.name, c.detail, c.examples) for c in report.violations]


@pytest.fixture
def roomy(market, fund):
    """The market with plenty of lamps, and a buyer who can pay for every round."""
    from marketplace.products.models import Product

    Product.objects.filter(pk=market.lamp).update(stock=1_000)
    fund(market.buyer, 10_000_000)
    return market


def test_confirm_against_dispute(roomy, order_in, container, ledger_auditor):
    m = roomy
    wins = {"confirm": 0, "dispute": 0}
    for n in range(ROUNDS):
        ref = order_in("shipped")
        service = container.orders.order_service()
        disputer = m.buyer if n % 2 else m.vendor
        outcomes = race(
            partial(service.confirm, actor_id=m.buyer.pk, reference=ref),
            partial(service.open_dispute, actor_id=disputer.pk, reference=ref, reason="Racing the confirmation."),
        )
        winner = one_winner(outcomes)
        state = Order.objects.get(reference=ref).state
        assert state == ("completed", "disputed")[winner]
        assert escrow(ref) == (0, 120_000)[winner]
        wins[("confirm", "dispute")[winner]] += 1
    audit_ok(ledger_auditor)
    assert JournalEntry.objects.filter(kind="release").count() == wins["confirm"]


def test_cancel_against_accept(roomy, order_in, container, ledger_auditor):
    m = roomy
    for _ in range(ROUNDS):
        ref = order_in("funded")
        service = container.orders.order_service()
        outcomes = race(
            partial(service.cancel, actor_id=m.buyer.pk, reference=ref),
            partial(service.accept, actor_id=m.vendor.pk, reference=ref),
        )
        winner = one_winner(outcomes)
        order = Order.objects.get(reference=ref)
        assert order.state == ("cancelled", "accepted")[winner]
        assert escrow(ref) == (0, 120_000)[winner]
        assert order.events.count() == 2  # funded, then the winner's only
    refunds = JournalEntry.objects.filter(kind="refund").count()
    assert refunds == Order.objects.filter(state="cancelled").count()
    audit_ok(ledger_auditor)


def test_two_checkouts_spending_one_balance(roomy, make_user, fund, container, ledger_auditor):
    m = roomy
    for n in range(ROUNDS):
        buyer = make_user(f"racer{n}")
        fund(buyer, 150_000)  # enough for one lamp (120,000), not two
        service = container.orders.order_service()
        outcomes = race(
            partial(service.checkout, buyer_id=buyer.pk, idempotency_key="tab-1", items={m.lamp: 1}),
            partial(service.checkout, buyer_id=buyer.pk, idempotency_key="tab-2", items={m.lamp: 1}),
        )
        one_winner(outcomes, refused_with=(InsufficientFunds,))
        assert balance(buyer) == 30_000 and Order.objects.filter(buyer=buyer).count() == 1
    from marketplace.products.models import Product

    assert Product.objects.get(pk=m.lamp).stock == 1_000 - ROUNDS  # the loser's stock came back
    audit_ok(ledger_auditor)


def test_a_double_clicked_checkout_pays_once(roomy, make_user, fund, container, ledger_auditor):
    m = roomy
    for n in range(ROUNDS):
        buyer = make_user(f"clicker{n}")
        fund(buyer, 1_000_000)
        service = container.orders.order_service()
        outcomes = race(
            *[partial(service.checkout, buyer_id=buyer.pk, idempotency_key="same-form", items={m.lamp: 1})] * 2
        )
        assert all(kind == "ok" for kind, _ in outcomes), outcomes
        results = [result for _, result in outcomes]
        assert results[0].references == results[1].references
        assert sorted(r.replayed for r in results) == [False, True]
        assert balance(buyer) == 880_000
    audit_ok(ledger_auditor)


def test_timeouts_on_several_machines_at_once_settle_each_order_once(roomy, order_in, container, clock, ledger_auditor):
    funded = [order_in("funded") for _ in range(12)]
    shipped = [order_in("shipped") for _ in range(12)]
    clock.advance(days=15)
    service = container.orders.order_service()
    outcomes = race(*[service.process_timeouts] * 3)
    assert all(kind == "ok" for kind, _ in outcomes), outcomes
    reports = [report for _, report in outcomes]
    expired = [ref for r in reports for ref in r.expired]
    completed = [ref for r in reports for ref in r.completed]
    assert sorted(expired) == sorted(funded) and sorted(completed) == sorted(shipped)  # once each
    assert all(r.ok for r in reports)
    assert JournalEntry.objects.filter(kind="refund").count() == 12
    assert JournalEntry.objects.filter(kind="release").count() == 12
    audit_ok(ledger_auditor)


def test_the_losers_are_told_the_order_changed(roomy, order_in, container):
    """When the loser read the order before the winner's commit, it is the conditional update
    that stops it: ``OrderChanged`` (an ``IllegalTransition``) with the state it found."""
    m = roomy
    seen = []
    for _ in range(ROUNDS):
        ref = order_in("funded")
        service = container.orders.order_service()
        outcomes = race(
            partial(service.cancel, actor_id=m.buyer.pk, reference=ref),
            partial(service.decline, actor_id=m.vendor.pk, reference=ref),
        )
        one_winner(outcomes)
        seen += [type(exc) for kind, exc in outcomes if kind == "refused"]
    assert set(seen) <= {IllegalTransition, OrderChanged}
    assert OrderChanged in seen  # both really read the order before either wrote: a true race
    assert JournalEntry.objects.filter(kind="refund").count() == ROUNDS
