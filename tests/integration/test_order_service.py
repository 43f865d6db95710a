"""OrderService on the real database: checkout into escrow, every transition with its money,
stock and audit event, illegal moves, timeouts, disputes."""

from datetime import timedelta

import pytest
from django.core.management import call_command

from marketplace.orders.models import CartItem, Checkout, Dispute, Order, OrderEvent
from marketplace.wallets.models import JournalEntry
from services.errors import (
    CheckoutError,
    DisputeError,
    IllegalTransition,
    InsufficientFunds,
    NotFound,
    OrderChanged,
    OrderError,
    OutOfStock,
    PermissionDenied,
    ProductUnavailable,
)
from tests.support.orders import balance, escrow, next_key, order_row, stock

pytestmark = pytest.mark.django_db


def audit_ok(ledger_auditor):
    report = ledger_auditor.audit()
    assert report.ok, [(c.name, c.detail, c.examples) for c in report.violations]
    escrow_check = next(c for c in report.checks if c.name == "escrow_matches_orders")
    assert escrow_check.status == "ok" and "checked by orders" in escrow_check.detail


# checkout
def test_checkout_makes_one_order_per_vendor_pays_escrow_and_empties_the_cart(
    market, make_vendor, make_product, cart_service, order_service, ledger_auditor, clock
):
    other = make_vendor("other")
    book = make_product(other, title="A Wizard of Earthsea", price_sat=18_000, stock=2, category="fiction")
    cart_service.add(user_id=market.buyer.pk, product_id=market.lamp, quantity=2)
    cart_service.add(user_id=market.buyer.pk, product_id=market.saw)
    cart_service.add(user_id=market.buyer.pk, product_id=book)
    assert cart_service.contents(user_id=market.buyer.pk).total_sat == 2 * 120_000 + 60_000 + 18_000

    result = order_service.checkout(buyer_id=market.buyer.pk, idempotency_key="k1", expected_total_sat=318_000)

    assert result.total_sat == 318_000 and not result.replayed and len(result.references) == 2
    orders = {o.vendor_id: o for o in Order.objects.filter(reference__in=result.references)}
    mine = orders[market.vendor.vendor_id]
    assert mine.total_sat == 300_000 and mine.state == "funded" and mine.commission_bps == 250
    assert [(li.title, li.price_sat, li.quantity) for li in mine.lines.order_by("pk")] == [
        ("Brass desk lamp", 120_000, 2),
        ("Japanese pull saw", 60_000, 1),
    ]
    assert mine.accept_by == clock.now() + timedelta(days=3)
    assert escrow(mine.reference) == 300_000 and escrow(orders[other.vendor_id].reference) == 18_000
    assert balance(market.buyer) == 1_000_000 - 318_000
    assert (stock(market.lamp), stock(market.saw), stock(book)) == (3, 2, 1)
    assert not CartItem.objects.filter(user=market.buyer).exists()
    event = OrderEvent.objects.get(order=mine)
    assert (event.from_state, event.to_state, event.actor_id) == ("", "funded", market.buyer.pk)
    assert JournalEntry.objects.get(pk=event.entry_id).kind == "hold"
    audit_ok(ledger_auditor)


def test_a_replayed_checkout_pays_once(market, cart_service, order_service):
    cart_service.add(user_id=market.buyer.pk, product_id=market.lamp)
    first = order_service.checkout(buyer_id=market.buyer.pk, idempotency_key="same")
    cart_service.add(user_id=market.buyer.pk, product_id=market.saw)  # a new cart, an old form sent again
    again = order_service.checkout(buyer_id=market.buyer.pk, idempotency_key="same")
    assert again.replayed and again.references == first.references and again.total_sat == 120_000
    assert balance(market.buyer) == 880_000 and Order.objects.count() == 1
    assert CartItem.objects.filter(user=market.buyer).count() == 1


def test_insufficient_balance_changes_nothing_and_says_how_much_is_missing(
    make_user, market, fund, cart_service, order_service
):
    poor = make_user("poor")
    fund(poor, 100_000)
    cart_service.add(user_id=poor.pk, product_id=market.lamp)
    with pytest.raises(InsufficientFunds) as caught:
        order_service.checkout(buyer_id=poor.pk, idempotency_key="k")
    assert caught.value.message == (
        "Insufficient funds: this checkout costs 0.00120000 BTC and your available balance is 0.00100000 BTC. "
        "Deposit 0.00020000 BTC more, or remove something from your cart."
    )
    assert balance(poor) == 100_000 and stock(market.lamp) == 5
    assert not Order.objects.exists() and not Checkout.objects.exists()
    assert CartItem.objects.filter(user=poor).count() == 1
    # The same key works once the buyer can pay: nothing of the refused attempt remained.
    fund(poor, 50_000)
    assert order_service.checkout(buyer_id=poor.pk, idempotency_key="k").total_sat == 120_000


def test_insufficient_balance_for_the_second_shop_undoes_the_first(
    market, make_vendor, make_product, make_user, fund, order_service
):
    book = make_product(make_vendor("other"), title="Costly book", price_sat=900_000, stock=1, category="fiction")
    poor = make_user("poor")
    fund(poor, 200_000)
    with pytest.raises(InsufficientFunds, match="costs 0.01020000 BTC and your available balance is 0.00200000 BTC"):
        order_service.checkout(buyer_id=poor.pk, idempotency_key="k", items={market.lamp: 1, book: 1})
    assert balance(poor) == 200_000 and stock(market.lamp) == 5 and not Order.objects.exists()
    with pytest.raises(CheckoutError, match="invalid"):
        order_service.checkout(
            buyer_id=poor.pk, idempotency_key="k", items={market.lamp: 1}, expected_total_sat="120000"
        )


def test_insufficient_stock_or_a_product_gone_changes_nothing(market, cart_service, order_service, catalog_service):
    cart_service.add(user_id=market.buyer.pk, product_id=market.saw, quantity=3)
    cart_service.add(user_id=market.buyer.pk, product_id=market.lamp)
    order_service.checkout(buyer_id=market.buyer.pk, idempotency_key="a", items={market.saw: 1})
    with pytest.raises(OutOfStock, match="Only 2 of Japanese pull saw left; you asked for 3"):
        order_service.checkout(buyer_id=market.buyer.pk, idempotency_key="b")
    catalog_service.set_listed(actor_id=market.vendor.pk, product_id=market.lamp, listed=False)
    with pytest.raises(ProductUnavailable, match="Brass desk lamp is no longer for sale"):
        order_service.checkout(buyer_id=market.buyer.pk, idempotency_key="c", items={market.lamp: 1})
    assert (stock(market.saw), stock(market.lamp)) == (2, 5)
    assert balance(market.buyer) == 940_000 and Order.objects.count() == 1


def test_checkout_refuses_an_empty_cart_own_products_and_moved_prices(
    market, fund, cart_service, order_service, catalog_service, categories
):
    with pytest.raises(CheckoutError, match="Your cart is empty"):
        order_service.checkout(buyer_id=market.buyer.pk, idempotency_key="e")
    fund(market.vendor, 500_000)
    with pytest.raises(CheckoutError, match="your own shop"):
        order_service.checkout(buyer_id=market.vendor.pk, idempotency_key="own", items={market.lamp: 1})
    cart_service.add(user_id=market.buyer.pk, product_id=market.lamp)
    catalog_service.update_product(
        actor_id=market.vendor.pk,
        product_id=market.lamp,
        title="Brass desk lamp",
        description="",
        price_sat=130_000,
        stock=5,
        category_id=categories["lighting"],
        is_active=True,
    )
    with pytest.raises(CheckoutError, match="the total is now 0.00130000 BTC, not 0.00120000 BTC"):
        order_service.checkout(buyer_id=market.buyer.pk, idempotency_key="p", expected_total_sat=120_000)
    assert balance(market.buyer) == 1_000_000 and stock(market.lamp) == 5
    with pytest.raises(CheckoutError, match="invalid"):
        order_service.checkout(buyer_id=market.buyer.pk, idempotency_key="x" * 65)


# the state machine
def test_the_happy_path_releases_escrow_less_commission_in_one_entry(
    market, order_in, order_service, ledger_auditor, clock
):
    ref = order_in("shipped")
    order = order_row(ref)
    assert order.auto_complete_at == clock.now() + timedelta(days=14) and order.shipped_at == clock.now()
    result = order_service.confirm(actor_id=market.buyer.pk, reference=ref)
    order.refresh_from_db()
    assert (result.from_state, result.to_state, order.state) == ("shipped", "completed", "completed")
    assert (order.vendor_payout_sat, order.commission_sat) == (117_000, 3_000)
    entry = JournalEntry.objects.get(pk=result.entry_id)
    amounts = dict(entry.postings.values_list("account__code", "amount_sat"))
    assert amounts == {f"escrow:{ref}": -120_000, f"user:{market.vendor.pk}": 117_000, "fees": 3_000}
    assert escrow(ref) == 0 and balance(market.vendor) == 117_000
    assert [e.to_state for e in OrderEvent.objects.filter(order=order).order_by("pk")] == [
        "funded",
        "accepted",
        "shipped",
        "completed",
    ]
    audit_ok(ledger_auditor)


@pytest.mark.parametrize("action, who, state", [("cancel", "buyer", "cancelled"), ("decline", "vendor", "declined")])
def test_refusals_refund_and_restore_stock(market, order_in, order_service, ledger_auditor, action, who, state):
    ref = order_in("funded", quantity=2)
    assert stock(market.lamp) == 3
    actor = getattr(market, who)
    result = getattr(order_service, action)(actor_id=actor.pk, reference=ref, reason="changed my mind")
    order = order_row(ref)
    assert order.state == state and order.refunded_sat == 240_000 and order.closed_at is not None
    assert balance(market.buyer) == 1_000_000 and escrow(ref) == 0 and stock(market.lamp) == 5
    event = OrderEvent.objects.get(order=order, to_state=state)
    assert event.actor_id == actor.pk and event.note == "changed my mind" and event.entry_id == result.entry_id
    audit_ok(ledger_auditor)


def test_illegal_transitions_are_refused_clearly_and_change_nothing(market, order_in, order_service):
    ref = order_in("accepted")
    with pytest.raises(IllegalTransition, match="This order is accepted by the vendor: it can no longer be cancelled"):
        order_service.cancel(actor_id=market.buyer.pk, reference=ref)
    with pytest.raises(IllegalTransition, match="Only the vendor can do that"):
        order_service.ship(actor_id=market.buyer.pk, reference=ref)
    with pytest.raises(IllegalTransition, match="Only the buyer can do that"):
        order_service.confirm(actor_id=market.vendor.pk, reference=ref)
    with pytest.raises(IllegalTransition, match="it can no longer be confirmed"):
        order_service.confirm(actor_id=market.buyer.pk, reference=ref)
    with pytest.raises(IllegalTransition, match="it can no longer be accepted"):
        order_service.accept(actor_id=market.vendor.pk, reference=ref)
    order = order_row(ref)
    assert order.state == "accepted" and escrow(ref) == 120_000
    assert OrderEvent.objects.filter(order=order).count() == 2


def test_a_transition_read_in_a_stale_state_changes_nothing(market, order_in, order_service):
    """The conditional update: an order read as funded but accepted meanwhile is not cancelled."""
    ref = order_in("funded")
    stale = Order.objects.select_related("vendor").get(reference=ref)
    order_service.accept(actor_id=market.vendor.pk, reference=ref)
    with pytest.raises(OrderChanged, match="it is now accepted by the vendor. Nothing was done"):
        order_service._apply(stale, "cancel", actor_id=market.buyer.pk, role="buyer", settlement=None)
    assert order_row(ref).state == "accepted" and escrow(ref) == 120_000


def test_strangers_and_junk_references_get_not_found(market, make_user, order_in, order_service, staff):
    ref = order_in("shipped")
    stranger = make_user("stranger")
    for actor in (stranger.pk, staff.pk, None):  # a moderator may not look at orders at all
        with pytest.raises(NotFound):
            order_service.confirm(actor_id=actor, reference=ref)
    for junk in ("ORD-NOPE", "", None, 42, "ORD-00000000", "x" * 500):
        with pytest.raises(NotFound):
            order_service.accept(actor_id=market.vendor.pk, reference=junk)
    assert order_row(ref).state == "shipped"


def test_the_vendor_cannot_accept_after_the_deadline(market, order_in, order_service, clock):
    ref = order_in("funded")
    clock.advance(days=3, seconds=1)
    with pytest.raises(IllegalTransition, match="Too late"):
        order_service.accept(actor_id=market.vendor.pk, reference=ref)
    order_service.cancel(actor_id=market.buyer.pk, reference=ref)  # the buyer may still cancel
    assert order_row(ref).state == "cancelled"


def test_notes_are_plain_bounded_text(market, order_in, order_service):
    ref = order_in("accepted")
    with pytest.raises(OrderError) as caught:
        order_service.ship(actor_id=market.vendor.pk, reference=ref, tracking_note="x" * 501)
    assert "tracking_note" in caught.value.errors
    order_service.ship(actor_id=market.vendor.pk, reference=ref, tracking_note="  DHL 123\r\n ")
    assert order_row(ref).tracking_note == "DHL 123"


# timeouts
def test_timeouts_refund_unaccepted_and_complete_shipped_orders_once(
    market, order_in, order_service, ledger_auditor, clock
):
    funded, shipped, accepted = order_in("funded"), order_in("shipped"), order_in("accepted")
    assert order_service.process_timeouts() == type(order_service.process_timeouts())()  # nothing due yet
    clock.advance(days=3, seconds=1)
    report = order_service.process_timeouts()
    assert report.expired == (funded,) and report.completed == () and report.ok
    clock.advance(days=11)
    report = order_service.process_timeouts()
    assert report.completed == (shipped,) and report.expired == ()
    assert order_service.process_timeouts().completed == ()  # idempotent
    assert [order_row(r).state for r in (funded, shipped, accepted)] == ["expired", "completed", "accepted"]
    assert stock(market.lamp) == 3  # the expired order's lamp came back; two were sold
    expired_event = OrderEvent.objects.get(order__reference=funded, to_state="expired")
    assert expired_event.actor_id is None and "refunded automatically" in expired_event.note
    assert balance(market.vendor) == 117_000
    assert balance(market.buyer) == 1_000_000 - 2 * 120_000
    audit_ok(ledger_auditor)


def test_the_command_settles_what_is_due_and_prints_it(market, order_in, clock, capsys):
    ref = order_in("shipped")
    clock.advance(days=15)
    call_command("process_order_timeouts")
    out = capsys.readouterr().out
    assert f"completed 1 order(s): {ref}" in out and "refunded 0 order(s)" in out
    call_command("process_order_timeouts")
    assert "completed 0 order(s)" in capsys.readouterr().out
    assert order_row(ref).state == "completed"


# disputes
def test_a_dispute_stops_the_clock_and_a_split_settles_in_one_entry(
    market, order_in, order_service, ledger_auditor, clock
):
    ref = order_in("shipped")
    order_service.open_dispute(actor_id=market.vendor.pk, reference=ref, reason="The buyer says it broke in transit.")
    order = order_row(ref)
    assert order.state == "disputed" and order.auto_complete_at is None
    clock.advance(days=30)
    assert order_service.process_timeouts().completed == ()
    result = order_service.resolve_dispute(
        staff_id=market.staff.pk, reference=ref, ruling="split", buyer_percent=25, note="Half broken; a quarter back."
    )
    order.refresh_from_db()
    dispute = Dispute.objects.get(order=order)
    assert order.state == "resolved" and (dispute.ruling, dispute.buyer_percent) == ("split", 25)
    assert dispute.resolved_by_id == market.staff.pk and dispute.opened_from == "shipped"
    # 120,000: 30,000 to the buyer, 90,000 to the vendor less 2.5 % (2,250).
    assert (order.refunded_sat, order.vendor_payout_sat, order.commission_sat) == (30_000, 87_750, 2_250)
    entry = JournalEntry.objects.get(pk=result.entry_id)
    assert entry.kind == "split" and entry.postings.count() == 4
    assert balance(market.buyer) == 1_000_000 - 120_000 + 30_000 and balance(market.vendor) == 87_750
    assert stock(market.lamp) == 4  # shipped goods do not come back on a ruling
    audit_ok(ledger_auditor)


def test_refund_ruling_on_an_order_that_never_shipped_restores_stock(market, order_in, order_service):
    ref = order_in("accepted")
    order_service.open_dispute(actor_id=market.buyer.pk, reference=ref, reason="Accepted a week ago, nothing since.")
    order_service.resolve_dispute(staff_id=market.staff.pk, reference=ref, ruling="refund", note="Never shipped.")
    assert order_row(ref).state == "resolved" and stock(market.lamp) == 5 and balance(market.buyer) == 1_000_000


def test_dispute_rules(market, order_in, order_service, make_user, clock):
    funded, shipped = order_in("funded"), order_in("shipped")
    with pytest.raises(IllegalTransition, match="can no longer be disputed"):
        order_service.open_dispute(actor_id=market.buyer.pk, reference=funded, reason="I want to dispute this.")
    with pytest.raises(DisputeError) as caught:
        order_service.open_dispute(actor_id=market.buyer.pk, reference=shipped, reason="bad")
    assert "reason" in caught.value.errors
    with pytest.raises(PermissionDenied):
        order_service.resolve_dispute(staff_id=market.buyer.pk, reference=shipped, ruling="refund", note="Mine!")
    with pytest.raises(PermissionDenied):  # finance see an order nobody disputed, and cannot act on it
        order_service.resolve_dispute(staff_id=market.staff.pk, reference=shipped, ruling="refund", note="Early.")
    clock.advance(days=14)
    with pytest.raises(IllegalTransition, match="The time to dispute this order ended"):
        order_service.open_dispute(actor_id=market.buyer.pk, reference=shipped, reason="Too late to complain.")
    order_service.confirm(actor_id=market.buyer.pk, reference=shipped)
    with pytest.raises(IllegalTransition, match="can no longer be disputed"):
        order_service.open_dispute(actor_id=market.buyer.pk, reference=shipped, reason="After confirming it.")


def test_ruling_validation(market, order_in, order_service):
    ref = order_in("disputed")
    for kwargs, field in [
        ({"ruling": "keep"}, "ruling"),
        ({"ruling": "split", "buyer_percent": 100}, "buyer_percent"),
        ({"ruling": "split", "buyer_percent": True}, "buyer_percent"),
        ({"ruling": "refund", "note": ""}, "note"),
    ]:
        with pytest.raises(DisputeError) as caught:
            order_service.resolve_dispute(staff_id=market.staff.pk, reference=ref, **{"note": "A ruling.", **kwargs})
        assert field in caught.value.errors
    order_service.resolve_dispute(staff_id=market.staff.pk, reference=ref, ruling="release", note="Delivered.")
    with pytest.raises(IllegalTransition, match="can no longer be resolved"):
        order_service.resolve_dispute(staff_id=market.staff.pk, reference=ref, ruling="refund", note="Again.")
    assert order_row(ref).vendor_payout_sat == 117_000


def test_checkout_keys_are_per_buyer(market, make_user, fund, order_service):
    other = make_user("other-buyer")
    fund(other, 500_000)
    key = next_key()
    a = order_service.checkout(buyer_id=market.buyer.pk, idempotency_key=key, items={market.saw: 1})
    b = order_service.checkout(buyer_id=other.pk, idempotency_key=key, items={market.saw: 1})
    assert not b.replayed and a.references != b.references and stock(market.saw) == 1
