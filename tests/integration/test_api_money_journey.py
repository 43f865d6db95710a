"""The money journey through the JSON API alone, as a buyer's and a vendor's scripts would walk it.

Bitcoin comes in from the (fake) node: the buyer reads their deposit address, the node reports a
payment to it, the scheduler's deposit scan credits it. The vendor lists a product and sets its
stock; the buyer finds it, buys it (an ``Idempotency-Key`` replayed answers the same checkout and
moves nothing), the vendor accepts and ships, the buyer confirms. A second order is disputed and
staff rule a split on their page (rulings are not in the API). Every balance is read through
``GET /wallet`` to the satoshi; at the end a withdrawal moves amount + fee into pending, and the
books hold: the ledger audit is clean, no claim is below zero, and all the money there is came in
by deposits.

The bitcoin node is the only fake: ``FakeBitcoind`` (tests/support/wallets.py), a real HTTP server
answering JSON-RPC as Bitcoin Core does, behind the wallets module's ``chain`` provider,
overridden for the test.
"""

import pytest
from django.conf import settings
from django.db.models import Count, Sum

from marketplace.orders.models import Order
from marketplace.tasks.models import TaskRun
from marketplace.wallets.models import Account, Deposit, JournalEntry, Withdrawal
from services.bitcoin_rpc import BitcoinRpcClient
from services.chain_backends import BitcoinCoreChain
from tests.support.staff import verified_client

BUYER_SCOPES = ("catalog:read", "orders:read", "orders:write", "wallet:read", "wallet:withdraw")
VENDOR_SCOPES = ("catalog:read", "vendor:read", "vendor:write", "orders:read", "orders:write", "wallet:read")
OUTSIDE = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"  # a regtest address that is not ours

DEPOSIT = 2_500_000
PRICE = 123_457  # odd on purpose: the commission is rounded down
BPS = 10_000


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, (response.status_code, response.content)
    return response.json()


def available(api) -> int:
    return ok(api.get("/wallet"))["available_sat"]


def commission_of(amount_sat: int) -> int:
    return amount_sat * settings.MARKETPLACE["orders"]["commission_bps"] // BPS


@pytest.fixture
def node(bitcoind, container):
    """The wallets module's chain backend is Bitcoin Core, and Bitcoin Core is the fake node."""
    rpc = BitcoinRpcClient(url=bitcoind.url, wallet=bitcoind.wallet, user=bitcoind.user, password=bitcoind.password)
    confirmations = settings.MARKETPLACE["wallets"]["deposit_confirmations"]
    with container.wallets.chain.override(BitcoinCoreChain(rpc=rpc, confirmations=confirmations)):
        yield bitcoind


@pytest.fixture
def scan_deposits(container):
    """The scheduled deposit scan, run as the scheduler runs it (``run_scheduled_tasks``)."""

    def run() -> None:
        outcome = container.core.task_service().run_now("wallets.scan_deposits")
        assert outcome.status == "succeeded", outcome

    return run


def assert_books(container, *, deposits_sat: int, fees_sat: int, pending_sat: int) -> None:
    """The audit the other money tests assert (test_finance_page.py, test_four_eyes*.py), then: no
    claim below zero, and everything there is came in by deposits."""
    report = container.wallets.ledger_auditor().audit()
    assert report.ok, [(c.name, c.detail, c.examples) for c in report.violations]
    assert {c.name: c.status for c in report.checks}["escrow_matches_orders"] == "ok"  # checked, not skipped
    balances = list(Account.objects.values_list("kind", "code", "balance_sat"))
    assert [row for row in balances if row[0] != Account.Kind.ASSET and row[2] < 0] == []
    claims = sum(sat for kind, _, sat in balances if kind != Account.Kind.ASSET)
    credited = Deposit.objects.filter(status="credited").aggregate(total=Sum("amount_sat"))["total"]
    assert claims == credited == deposits_sat
    assert Account.objects.get(kind=Account.Kind.ASSET).balance_sat == -deposits_sat
    totals = report.totals
    assert (totals["custody_sat"], totals["fees_sat"], totals["escrow_sat"]) == (deposits_sat, fees_sat, 0)
    assert totals["pending_withdrawal_sat"] == pending_sat


@pytest.fixture
def journey(node, scan_deposits, container, api_client, make_user, make_vendor, make_staff, categories):
    """``journey()``: the whole walk, asserting as it goes."""
    return lambda: walk(node, scan_deposits, container, api_client, make_user, make_vendor, make_staff)


@pytest.mark.django_db
def test_deposit_buy_confirm_dispute_split_and_withdraw_through_the_api(journey):
    journey()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_journey_committing_each_request_on_postgresql(journey):
    """Each request commits as in production: the row locks the services take are PostgreSQL's,
    and the tasks the requests ask for (notices, the scans) run after their commits, every one
    of them to success."""
    journey()
    statuses = dict(TaskRun.objects.values_list("status").annotate(n=Count("pk")).order_by())
    assert set(statuses) == {"succeeded"} and statuses["succeeded"] > 3, statuses


def walk(node, scan_deposits, container, api_client, make_user, make_vendor, make_staff) -> None:
    alice = make_user("alice")
    dora = make_vendor("dora")
    fran = make_staff("finance", username="fran")  # rules on disputes
    buyer, vendor = api_client(alice, *BUYER_SCOPES), api_client(dora, *VENDOR_SCOPES)

    # 1. Bitcoin in: the node reports a payment to the buyer's address; the scan credits it at
    #    the configured confirmations, once.
    address = ok(buyer.get("/wallet/deposit-address"))
    assert address["network"] == "regtest" and address["uri"] == f"bitcoin:{address['address']}"
    needed = address["confirmations"]
    assert needed == settings.MARKETPLACE["wallets"]["deposit_confirmations"] >= 2
    payment = node.receive(address=address["address"], sats=DEPOSIT, confirmations=1)
    scan_deposits()
    wallet = ok(buyer.get("/wallet"))
    assert wallet["available_sat"] == 0
    assert [(d["txid"], d["amount_sat"], d["confirmations"]) for d in wallet["pending_deposits"]] == [
        (payment["txid"], DEPOSIT, 1)
    ]
    node.confirm(payment, needed)
    scan_deposits()
    scan_deposits()  # the scheduler runs it again a minute later: credited once
    wallet = ok(buyer.get("/wallet"))
    assert (wallet["available_sat"], wallet["available_btc"], wallet["pending_deposits"]) == (
        DEPOSIT,
        "0.02500000",
        [],
    )
    assert (
        ok(buyer.get("/wallet/deposit-address"))["address"] != address["address"]
    )  # a used address is not shown again
    (line,) = ok(buyer.get("/wallet/history"))["items"]
    assert (line["kind"], line["amount_sat"], line["memo"]) == ("deposit", DEPOSIT, f"{payment['txid']}:0")
    deposit = Deposit.objects.get()
    assert (deposit.source, deposit.status, deposit.confirmations) == ("bitcoin_core", "credited", needed)
    assert {method for _, method, _ in node.calls} == {"listsinceblock"}  # what the scans asked the node
    assert available(vendor) == 0

    # 2. The vendor lists a lantern and sets its stock; the buyer finds it and buys two.
    lighting = {c["slug"]: c["id"] for c in ok(vendor.get("/categories"))}["lighting"]
    listed = ok(
        vendor.post(
            "/vendor/products",
            {
                "title": "Copper storm lantern",
                "description": "Wind-proof. Burns for 12 hours.",
                "price_sat": PRICE,
                "stock": 1,
                "category_id": lighting,
            },
        ),
        201,
    )
    product = listed["id"]
    assert (listed["status"], listed["stock"], listed["price_btc"]) == ("listed", 1, "0.00123457")
    changed = ok(vendor.send("PATCH", f"/vendor/products/{product}", {"stock": 5}))
    assert (changed["stock"], changed["price_sat"], changed["title"]) == (5, PRICE, "Copper storm lantern")

    found = ok(buyer.get("/products", {"q": "lantern"}))
    assert [(p["id"], p["price_sat"], p["stock"], p["shop"]) for p in found["items"]] == [
        (product, PRICE, 5, dora.shop_slug)
    ]
    cart = ok(buyer.post("/cart/items", {"product_id": product, "quantity": 2}))
    first_total = 2 * PRICE  # 246,914
    assert (cart["total_sat"], cart["ready"]) == (first_total, True)

    checkout = ok(buyer.post("/checkout", {"expected_total_sat": first_total}, key="alice-checkout-1"), 201)
    (placed,) = checkout["orders"]
    first = placed["reference"]
    assert (checkout["total_sat"], placed["total_sat"], placed["shop"]) == (first_total, first_total, dora.shop_slug)
    assert available(buyer) == DEPOSIT - first_total
    holds = JournalEntry.objects.filter(kind="hold").count()
    # The answer was lost: the script sends the same request with the same key.
    replay = ok(buyer.post("/checkout", {"expected_total_sat": first_total}, key="alice-checkout-1"), 201)
    assert replay == checkout
    assert available(buyer) == DEPOSIT - first_total
    assert (Order.objects.count(), JournalEntry.objects.filter(kind="hold").count()) == (1, holds)
    assert ok(buyer.get(f"/products/{product}"))["stock"] == 3  # reserved once
    assert ok(buyer.get("/cart"))["count"] == 0

    # 3. The vendor accepts and ships from the queue; the buyer follows, writes, confirms.
    todo = ok(vendor.get("/vendor/orders"))
    assert [(row["reference"], row["total_sat"], row["buyer_name"]) for row in todo["items"]] == [
        (first, first_total, "alice")
    ]
    accepted = ok(vendor.post(f"/vendor/orders/{first}/accept"))
    assert accepted["state"] == "accepted" and accepted["in_escrow_sat"] == first_total
    shipped = ok(vendor.post(f"/vendor/orders/{first}/ship", {"tracking_note": "Parcel DX-4471"}))
    assert (shipped["state"], shipped["tracking_note"]) == ("shipped", "Parcel DX-4471")
    assert shipped["deadlines"]["auto_complete_at"] is not None
    assert [row["reference"] for row in ok(vendor.get("/vendor/orders", {"tab": "shipped"}))["items"]] == [first]

    seen = ok(buyer.get(f"/orders/{first}"))
    assert (seen["role"], seen["state"], seen["tracking_note"], seen["in_escrow_sat"]) == (
        "buyer",
        "shipped",
        "Parcel DX-4471",
        first_total,
    )
    assert "confirm" in seen["actions"] and seen["commission_sat"] is None  # the vendor's figure, not the buyer's
    events = ok(buyer.get(f"/orders/{first}/events"))["items"]
    assert [e["to_state"] for e in events] == ["funded", "accepted", "shipped"]
    assert events[-1]["note"] == "Parcel DX-4471"
    thread = ok(buyer.post(f"/orders/{first}/messages", {"body": "Thank you, it is on its way."}), 201)
    assert [(m["author"], m["body"]) for m in thread["items"]] == [("alice", "Thank you, it is on its way.")]
    assert ok(vendor.get(f"/orders/{first}/messages"))["items"] == thread["items"]
    done = ok(buyer.post(f"/orders/{first}/confirm"))
    first_commission = commission_of(first_total)  # 6,172 (6,172.85 rounded down)
    first_payout = first_total - first_commission  # 240,742
    assert (done["state"], done["in_escrow_sat"], done["vendor_payout_sat"]) == ("completed", 0, first_payout)
    as_vendor = ok(vendor.get(f"/orders/{first}"))
    assert (as_vendor["role"], as_vendor["commission_sat"], as_vendor["vendor_payout_sat"]) == (
        "vendor",
        first_commission,
        first_payout,
    )
    assert [e["to_state"] for e in ok(buyer.get(f"/orders/{first}/events"))["items"]][-1] == "completed"
    # The same key once the order moved on: still the first answer, still nothing bought.
    assert ok(buyer.post("/checkout", {"expected_total_sat": first_total}, key="alice-checkout-1"), 201) == checkout

    # 4. Balances to the satoshi: the buyer paid the total, the vendor has it less commission.
    assert available(buyer) == DEPOSIT - first_total == 2_253_086
    assert available(vendor) == first_payout == 240_742
    assert_books(container, deposits_sat=DEPOSIT, fees_sat=first_commission, pending_sat=0)

    # 5. A second order, shipped, disputed by the buyer; staff split it 40 % to the buyer.
    ok(buyer.post("/cart/items", {"product_id": product, "quantity": 1}))
    second_total = PRICE
    second = ok(buyer.post("/checkout", {"expected_total_sat": second_total}, key="alice-checkout-2"), 201)
    (placed,) = second["orders"]
    second_ref = placed["reference"]
    assert available(buyer) == DEPOSIT - first_total - second_total
    ok(vendor.post(f"/vendor/orders/{second_ref}/accept"))
    ok(vendor.post(f"/vendor/orders/{second_ref}/ship", {"tracking_note": "Parcel DX-4502"}))
    disputed = ok(buyer.post(f"/orders/{second_ref}/dispute", {"reason": "The glass arrived cracked."}))
    assert disputed["state"] == "disputed" and disputed["dispute"]["reason"] == "The glass arrived cracked."
    assert disputed["dispute"]["ruling"] is None and disputed["in_escrow_sat"] == second_total
    assert [row["reference"] for row in ok(vendor.get("/vendor/orders", {"tab": "disputed"}))["items"]] == [second_ref]

    staff = verified_client(fran)
    ruling = {"ruling": "split", "buyer_percent": "40", "note": "Cracked glass: 40 % back to the buyer."}
    response = staff.post(f"/orders/{second_ref}/resolve/", ruling)
    assert response.status_code == 302, response.content.decode()[:2000]

    to_buyer = second_total * 40 // 100  # 49,382
    to_vendor = second_total - to_buyer  # 74,075
    second_commission = commission_of(to_vendor)  # 1,851
    resolved = ok(buyer.get(f"/orders/{second_ref}"))
    assert (resolved["state"], resolved["refunded_sat"], resolved["in_escrow_sat"]) == ("resolved", to_buyer, 0)
    assert (resolved["dispute"]["ruling"], resolved["dispute"]["buyer_percent"]) == ("split", 40)
    assert resolved["dispute"]["resolved_by"] == "fran"
    assert ok(vendor.get(f"/orders/{second_ref}"))["vendor_payout_sat"] == to_vendor - second_commission
    assert [e["to_state"] for e in ok(buyer.get(f"/orders/{second_ref}/events"))["items"]] == [
        "funded",
        "accepted",
        "shipped",
        "disputed",
        "resolved",
    ]
    buyer_balance = DEPOSIT - first_total - second_total + to_buyer
    vendor_balance = first_payout + to_vendor - second_commission
    fees = first_commission + second_commission
    assert (available(buyer), available(vendor)) == (buyer_balance, vendor_balance) == (2_179_011, 312_966)
    assert ok(buyer.get(f"/products/{product}"))["stock"] == 2  # a split gives no stock back
    assert_books(container, deposits_sat=DEPOSIT, fees_sat=fees, pending_sat=0)
    assert fees == 8_023 and buyer_balance + vendor_balance + fees == DEPOSIT

    # 6. Bitcoin out: amount + network fee move to pending at once; the same key again moves nothing.
    wallet = ok(buyer.get("/wallet"))
    fee = wallet["withdrawal_fee_sat"]
    assert fee == settings.MARKETPLACE["wallets"]["withdrawal_fee_sat"]
    amount = 1_000_000
    asked = {"address": OUTSIDE, "amount_sat": amount}
    withdrawn = buyer.post("/wallet/withdrawals", asked, key="alice-withdrawal-1")
    body = ok(withdrawn, 201)
    assert withdrawn["Idempotent-Replayed"] == "false"
    assert (body["status"], body["amount_sat"], body["fee_sat"], body["total_sat"]) == (
        "pending",
        amount,
        fee,
        amount + fee,
    )
    again = buyer.post("/wallet/withdrawals", asked, key="alice-withdrawal-1")
    assert again["Idempotent-Replayed"] == "true" and ok(again, 201) == body
    wallet = ok(buyer.get("/wallet"))
    assert (wallet["available_sat"], wallet["pending_withdrawal_sat"]) == (
        buyer_balance - amount - fee,
        amount + fee,
    )
    assert (wallet["available_sat"], wallet["pending_withdrawal_sat"]) == (1_177_011, 1_002_000)
    assert Withdrawal.objects.count() == 1
    assert [w["id"] for w in ok(buyer.get("/wallet/withdrawals"))] == [body["id"]]
    assert_books(container, deposits_sat=DEPOSIT, fees_sat=fees, pending_sat=amount + fee)
