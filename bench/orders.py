"""What checkout costs next to the money movements under it, measured in the same run.

    .venv/bin/python bench/orders.py                               # SQLite: one process (below)
    DATABASE_URL=postgres://... .venv/bin/python bench/orders.py   # PostgreSQL: concurrent buyers

On PostgreSQL (``--mode concurrent``, the default there; the role needs CREATEDB) two scratch
databases are made on the server and dropped at the end: one with the whole marketplace (the
settings' modules), where ``--buyers`` funded buyers pick products at random among
``--products`` of ``--vendors`` shops; one prepared as ``bench/ledger.py`` prepares it. Each of
``--rounds`` rounds runs, for ``--seconds`` each, ``--buyers`` processes calling
``OrderService.checkout`` (one product per checkout: stock, order, line, escrow hold, event, and
the subscribers that run after commit), then as many processes of ``bench/ledger.py``'s
``WalletService.transfer`` loop. Prints both rates, their ratio, and the statements one checkout
sends (Django's queries, and round trips to the server, which also count the ledger's own
cursor, commits and rollbacks).

Anywhere (``--mode single``, the default on SQLite), in one process on a scratch test database,
alternates ``--rounds`` times two loops of ``--orders`` iterations:

* baseline: ``WalletService.hold`` then ``release``: the two ledger entries of a sale;
* orders: ``checkout`` (stock, order, lines, hold, event), ``accept``, ``ship``, ``confirm``
  (release): the whole life of an order through ``OrderService``.

and prints the median time and the statements of one iteration of each, and their ratio.
"""

import argparse
import multiprocessing
import os
import queue
import random
import secrets
import statistics
import sys
import time
import urllib.parse
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.ledger import Server, _django, prepare_ledger, run_ledger  # noqa: E402

PRICE_SAT = 1_000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", choices=["single", "concurrent"], help="default: concurrent on PostgreSQL")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--orders", type=int, default=200, help="single: iterations per loop")
    parser.add_argument("--buyers", type=int, default=8, help="concurrent: checkout (and transfer) processes")
    parser.add_argument("--seconds", type=int, default=15, help="concurrent: seconds per run")
    parser.add_argument("--products", type=int, default=200, help="concurrent: products buyers pick from")
    parser.add_argument("--vendors", type=int, default=8, help="concurrent: shops selling them")
    parser.add_argument("--users", type=int, default=1000, help="concurrent: ledger accounts transfers pick from")
    parser.add_argument("--modules", help="concurrent: MARKETPLACE_MODULES of the checkouts (default: the settings')")
    args = parser.parse_args()

    url = urllib.parse.urlsplit(os.environ.get("DATABASE_URL", ""))
    postgres = url.scheme in ("postgres", "postgresql")
    mode = args.mode or ("concurrent" if postgres else "single")
    if mode == "concurrent":
        if not postgres:
            print("--mode concurrent needs DATABASE_URL=postgres://user:pass@host:port/db", file=sys.stderr)
            return 2
        return concurrent(Server(url), args)
    return single(args)


# round trips


@contextmanager
def round_trips():
    """Counts what reaches the server through psycopg in this process: statements (Django's and
    the ledger's own cursors) and the BEGIN, COMMIT and ROLLBACK psycopg sends by itself.
    ``CaptureQueriesContext`` sees only Django's statements."""
    import psycopg
    from psycopg._connection_base import BaseConnection  # where BEGIN and COMMIT are sent

    counted = {"n": 0}
    patched = [(psycopg.Cursor, "execute"), (BaseConnection, "_exec_command")]
    originals = [getattr(owner, name) for owner, name in patched]

    def counting(original):
        def call(*args, **kwargs):
            counted["n"] += 1
            return original(*args, **kwargs)

        return call

    for (owner, name), original in zip(patched, originals, strict=True):
        setattr(owner, name, counting(original))
    try:
        yield counted
    finally:
        for (owner, name), original in zip(patched, originals, strict=True):
            setattr(owner, name, original)


@contextmanager
def statements(connection):
    """Django's queries and, on PostgreSQL, the round trips of the block."""
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "postgresql":
        with CaptureQueriesContext(connection) as captured:
            yield (counts := {})
        counts.update(queries=len(captured), trips=None)
        return
    with round_trips() as trips, CaptureQueriesContext(connection) as captured:
        yield (counts := {})
    counts.update(queries=len(captured), trips=trips["n"])


def describe(counts: dict) -> str:
    trips = "" if counts["trips"] is None else f", {counts['trips']:g} round trips"
    return f"{counts['queries']:g} Django queries{trips}"


# concurrent checkouts against concurrent transfers (PostgreSQL)


def concurrent(server: Server, args) -> int:
    suffix = f"{os.getpid()}_{secrets.token_hex(3)}"
    orders_db, ledger_db = f"bench_orders_{suffix}", f"bench_ledger_{suffix}"
    server.create(orders_db)
    server.create(ledger_db)
    try:
        print(
            f"server {server.host}:{server.port}, {args.buyers} processes, {args.seconds}s per run, "
            f"{os.cpu_count()} CPU(s) shared by clients and server"
        )
        orders_url = server.url(orders_db)
        counts = in_child(_prepare_orders, orders_url, args.modules, args.buyers, args.vendors, args.products)
        prepare_ledger(server.url(ledger_db), args.users)
        checkouts, transfers = [], []
        for number in range(1, args.rounds + 1):
            checkouts.append(run_checkouts(orders_url, args.modules, args.buyers, args.seconds))
            transfers.append(run_ledger(server.url(ledger_db), args.buyers, args.seconds, args.users))
            print(
                f"round {number}: checkouts {checkouts[-1]:7.1f}/s, ledger transfers {transfers[-1]:7.1f}/s, "
                f"ratio {checkouts[-1] / transfers[-1]:.2f}"
            )
        checkout, transfer = statistics.median(checkouts), statistics.median(transfers)
        print(f"median: checkouts {checkout:.1f}/s, ledger transfers {transfer:.1f}/s, ratio {checkout / transfer:.2f}")
        print(f"one checkout: {describe(counts['checkout'])}; one transfer: {describe(counts['transfer'])}")
        audit = in_child(_audit, orders_url, args.modules)
        print(f"after the run: {audit['orders']} orders, ledger audit {'OK' if audit['ok'] else 'VIOLATIONS'}")
        return 0 if audit["ok"] else 1
    finally:
        server.drop(orders_db)
        server.drop(ledger_db)


def in_child(target, *args):
    """``target(queue, *args)`` in a fresh process (a clean Django); returns what it put."""
    context = multiprocessing.get_context("spawn")
    answer = context.Queue()
    child = context.Process(target=target, args=(answer, *args))
    child.start()
    while True:
        try:
            result = answer.get(timeout=1)
            break
        except queue.Empty:
            if not child.is_alive():
                raise RuntimeError(f"{target.__name__} failed") from None
    child.join()
    return result


def _prepare_orders(answer, database_url: str, modules, buyers: int, vendors: int, products: int) -> None:
    """Migrate; open the shops, list the products, fund the buyers; count one checkout's statements."""
    _django(database_url, modules=modules)
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from containers import container, runtime

    runtime.ensure_started()
    User = get_user_model()
    # Unusable passwords: hashing one per bench user would take longer than the bench.
    names = ["bench-moderator", "bench-fran", "bench-tess"] + [f"bench-shop{n}" for n in range(vendors)]
    names += [f"bench-buyer{n}" for n in range(buyers + 1)]  # the last one is counted, not timed
    User.objects.bulk_create([User(username=name, email=f"{name}@bench.example", password="!") for name in names])
    ids = dict(User.objects.filter(username__in=names).values_list("username", "pk"))
    access = container.core.staff_access()
    access.set_roles(user_id=ids["bench-moderator"], roles=["moderator"])
    for member in ("bench-fran", "bench-tess"):
        access.set_roles(user_id=ids[member], roles=["finance"])
    shops, catalog = container.vendors.vendor_service(), container.products.catalog_service()
    category = catalog.create_category(name="Bench", slug="bench")
    for n in range(vendors):
        shop = shops.apply(
            user_id=ids[f"bench-shop{n}"], shop_name=f"Bench Shop {n}", slug=f"bench-{n}", description=""
        )
        shops.approve(staff_id=ids["bench-moderator"], vendor_id=shop.id)
    for n in range(products):
        catalog.create_product(
            actor_id=ids[f"bench-shop{n % vendors}"],
            title=f"Bench item {n}",
            description="",
            price_sat=PRICE_SAT,
            stock=1_000_000,
            category_id=category,
        )
    wallets = container.wallets.wallet_service()
    for n in range(buyers + 1):
        proposal = wallets.propose_deposit(
            staff_user_id=ids["bench-fran"],
            user_id=ids[f"bench-buyer{n}"],
            amount_sat=10**12,
            txid=f"{n:064x}",
            vout=0,
        )
        wallets.confirm_deposit(staff_user_id=ids["bench-tess"], deposit_id=proposal.deposit_id)
    buyer, recipient = ids[f"bench-buyer{buyers}"], ids["bench-shop0"]
    world = _world(buyers)
    checkout = _checkout(container, world, buyer, random.Random(-1))
    for n in range(3):  # warm: the recipient's account opened, statements prepared, caches filled
        checkout(f"warm-{n}")
        wallets.transfer(sender_id=buyer, recipient_id=recipient, amount_sat=1, idempotency_key=f"warm-{n}")
    samples = {"checkout": [], "transfer": []}
    for n in range(20):
        with statements(connection) as counted:
            checkout(f"count-{n}")
        samples["checkout"].append(counted)
        with statements(connection) as counted:
            wallets.transfer(sender_id=buyer, recipient_id=recipient, amount_sat=1, idempotency_key=f"count-{n}")
        samples["transfer"].append(counted)
    answer.put(
        {
            name: {key: statistics.median(sample[key] for sample in taken) for key in ("queries", "trips")}
            for name, taken in samples.items()
        }
    )


def _world(buyers: int) -> dict:
    from django.contrib.auth import get_user_model

    from marketplace.products.models import Product

    users = dict(get_user_model().objects.filter(username__startswith="bench-buyer").values_list("username", "pk"))
    return {
        "buyers": [users[f"bench-buyer{n}"] for n in range(buyers)],
        "products": list(
            Product.objects.filter(title__startswith="Bench item").order_by("pk").values_list("pk", flat=True)
        ),
    }


def _checkout(container, world: dict, buyer: int, rng: random.Random):
    orders = container.orders.order_service()

    def checkout(key: str):
        return orders.checkout(buyer_id=buyer, idempotency_key=key, items={rng.choice(world["products"]): 1})

    return checkout


def run_checkouts(database_url: str, modules, buyers: int, seconds: int) -> float:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(buyers + 1)
    results = context.Queue()
    workers = [
        context.Process(target=_checkout_loop, args=(database_url, modules, seed, buyers, seconds, barrier, results))
        for seed in range(buyers)
    ]
    for worker in workers:
        worker.start()
    barrier.wait()  # every buyer is connected and warm; the clock starts for all at once
    counts = [results.get(timeout=seconds + 120) for _ in workers]
    for worker in workers:
        worker.join()
    return sum(n for n, _ in counts) / max(t for _, t in counts)


def _checkout_loop(database_url: str, modules, seed: int, buyers: int, seconds: int, barrier, results) -> None:
    _django(database_url, modules=modules)
    from containers import container, runtime

    runtime.ensure_started()
    world = _world(buyers)
    checkout = _checkout(container, world, world["buyers"][seed], random.Random(seed))
    run = secrets.token_hex(4)  # keys stay unique across rounds
    checkout(f"warm-{run}")
    barrier.wait()
    done, started = 0, time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        checkout(f"{run}-{done}")
        done += 1
    results.put((done, time.perf_counter() - started))


def _audit(answer, database_url: str, modules) -> None:
    _django(database_url, modules=modules)
    from containers import container, runtime
    from marketplace.orders.models import Order

    runtime.ensure_started()
    answer.put({"orders": Order.objects.count(), "ok": container.wallets.ledger_auditor().audit().ok})


# one process: an order's whole life against the two ledger entries under it


def single(args) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings.test")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        from containers import container, runtime

        runtime.ensure_started()
        world = prepare(container, args.orders * args.rounds * 2)
        baseline, orders = [], []
        counts = {}
        for round_number in range(1, args.rounds + 1):
            for name, loop, times in (("baseline", ledger_pair, baseline), ("orders", order_life, orders)):
                start = len(times)
                for i in range(args.orders):
                    started = time.perf_counter()
                    if i == 1:  # the first one of a process prepares statements and fills caches
                        with statements(connection) as counts[name]:
                            loop(container, world, f"{name}-{round_number}-{i}")
                    else:
                        loop(container, world, f"{name}-{round_number}-{i}")
                    times.append(time.perf_counter() - started)
                print(f"round {round_number}: {name:8} median {statistics.median(times[start:]) * 1000:7.2f} ms")
        base, full = statistics.median(baseline), statistics.median(orders)
        print(f"database: {connection.vendor}; {args.orders} iterations x {args.rounds} rounds")
        print(f"ledger hold + release   {base * 1000:7.2f} ms  {describe(counts['baseline'])}")
        print(f"order's whole life      {full * 1000:7.2f} ms  {describe(counts['orders'])}")
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
