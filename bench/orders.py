"""What an order's life costs next to the money movements under it, measured in the same run.

    .venv/bin/python bench/orders.py                       # SQLite, a scratch database
    DATABASE_URL=postgres://... .venv/bin/python bench/orders.py   # PostgreSQL (role needs CREATEDB)

Creates a scratch test database (dropped at the end), a buyer, a vendor and a product, then
alternates, ``--rounds`` times, two loops of ``--orders`` iterations:

* baseline: ``WalletService.hold`` then ``release``: the two ledger entries of a sale;
* orders: ``checkout`` (stock, order, lines, hold, event), ``accept``, ``ship``, ``confirm``
  (release): the whole life of an order through ``OrderService``.

Prints the median time and the SQL queries of one iteration of each, and their ratio.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=200, help="iterations per loop")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings.test")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        from containers import container, runtime

        runtime.ensure_started()
        world = prepare(container, args.orders * args.rounds * 2)
        baseline, orders = [], []
        queries = {}
        for round_number in range(1, args.rounds + 1):
            for name, loop, times in (("baseline", ledger_pair, baseline), ("orders", order_life, orders)):
                start = len(times)
                for i in range(args.orders):
                    started = time.perf_counter()
                    if i == 0:
                        with CaptureQueriesContext(connection) as captured:
                            loop(container, world, f"{name}-{round_number}-{i}")
                        queries[name] = len(captured)
                    else:
                        loop(container, world, f"{name}-{round_number}-{i}")
                    times.append(time.perf_counter() - started)
                print(f"round {round_number}: {name:8} median {statistics.median(times[start:]) * 1000:7.2f} ms")
        base, full = statistics.median(baseline), statistics.median(orders)
        print(f"database: {connection.vendor}; {args.orders} iterations x {args.rounds} rounds")
        print(f"ledger hold + release   {base * 1000:7.2f} ms  {queries['baseline']:3d} queries")
        print(f"order's whole life      {full * 1000:7.2f} ms  {queries['orders']:3d} queries")
        print(f"ratio                   {full / base:7.2f} x")
        report = container.wallets.ledger_auditor().audit()
        print(f"ledger audit after the run: {'OK' if report.ok else 'VIOLATIONS'}")
        return 0 if report.ok else 1
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def prepare(container, count: int) -> dict:
    users = container.accounts.user_service()
    staff = users.register(username="bench-staff", email="staff@bench.example", password="a sturdy passphrase")
    container.core.staff_access().set_roles(user_id=staff.pk, roles=["moderator"])  # approves the shop
    buyer = users.register(username="bench-buyer", email="buyer@bench.example", password="a sturdy passphrase")
    vendor = users.register(username="bench-vendor", email="vendor@bench.example", password="a sturdy passphrase")
    shops = container.vendors.vendor_service()
    shop = shops.apply(user_id=vendor.pk, shop_name="Bench Shop", slug="bench-shop", description="")
    shops.approve(staff_id=staff.pk, vendor_id=shop.id)
    catalog = container.products.catalog_service()
    category = catalog.create_category(name="Bench", slug="bench")
    product = catalog.create_product(
        actor_id=vendor.pk, title="Bench lamp", description="", price_sat=10_000, stock=1_000_000, category_id=category
    )
    fund(container, user_id=buyer.pk, amount_sat=10_000 * (count + 10), txid="be" * 32)
    return {"buyer": buyer.pk, "vendor": vendor.pk, "product": product}


def fund(container, *, user_id: int, amount_sat: int, txid: str) -> None:
    """Money in as in production: one finance member proposes the deposit, another confirms it."""
    users, wallets = container.accounts.user_service(), container.wallets.wallet_service()
    finance = []
    for name in ("bench-fran", "bench-tess"):
        member = users.register(username=name, email=f"{name}@bench.example", password="a sturdy passphrase")
        container.core.staff_access().set_roles(user_id=member.pk, roles=["finance"])
        finance.append(member.pk)
    proposal = wallets.propose_deposit(
        staff_user_id=finance[0], user_id=user_id, amount_sat=amount_sat, txid=txid, vout=0
    )
    wallets.confirm_deposit(staff_user_id=finance[1], deposit_id=proposal.deposit_id)


def ledger_pair(container, world, key: str) -> None:
    wallets = container.wallets.wallet_service()
    ref = f"BENCH-{key}"
    wallets.hold(buyer_id=world["buyer"], order_ref=ref, amount_sat=10_000, idempotency_key=f"{ref}:hold")
    wallets.release(
        order_ref=ref,
        vendor_id=world["vendor"],
        commission_bps=250,
        amount_sat=10_000,
        idempotency_key=f"{ref}:release",
    )


def order_life(container, world, key: str) -> None:
    orders = container.orders.order_service()
    ref = orders.checkout(buyer_id=world["buyer"], idempotency_key=key, items={world["product"]: 1}).references[0]
    orders.accept(actor_id=world["vendor"], reference=ref)
    orders.ship(actor_id=world["vendor"], reference=ref)
    orders.confirm(actor_id=world["buyer"], reference=ref)


if __name__ == "__main__":
    sys.exit(main())
