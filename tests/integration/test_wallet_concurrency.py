"""Many threads moving money among a few accounts at once, on PostgreSQL's row locks.

Money is conserved, no balance goes negative, no deadlock or serialization error escapes, and
keys replayed from several threads at once move money exactly once.
"""

import random
import threading

import pytest
from django.db import connections

from marketplace.wallets.models import Account, JournalEntry
from services.errors import EscrowError, InsufficientFunds

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 16
OPS_PER_THREAD = 60
OPENING = 200_000


def test_concurrent_transfers_conserve_money_without_deadlocks(make_user, fund, ledger_auditor, caplog):
    users = [make_user(f"conc{i}") for i in range(5)]
    for user in users:
        fund(user, OPENING)
    total = OPENING * len(users)
    shared_keys = [f"shared-{n}" for n in range(20)]  # every thread sends these too
    errors: list[BaseException] = []
    refused = []
    start = threading.Barrier(THREADS)

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        from containers import container

        service = container.wallets.wallet_service()
        try:
            start.wait()
            for n in range(OPS_PER_THREAD):
                roll = rng.random()
                try:
                    if roll < 0.15:
                        key = rng.choice(shared_keys)
                        k = int(key.split("-")[1])
                        sender, recipient = users[k % 5], users[(k + 1) % 5]
                        service.transfer(
                            sender_id=sender.pk,
                            recipient_id=recipient.pk,
                            amount_sat=1_000 + k,
                            idempotency_key=key,
                        )
                    elif roll < 0.25:
                        buyer, vendor = rng.sample(users, 2)
                        ref = f"C-{seed}-{n}"
                        service.hold(
                            buyer_id=buyer.pk,
                            order_ref=ref,
                            amount_sat=rng.randint(1, 30_000),
                            idempotency_key=ref,
                        )
                        service.release(
                            order_ref=ref,
                            vendor_id=vendor.pk,
                            commission_bps=rng.randint(0, 500),
                            idempotency_key=ref,
                        )
                    else:
                        # pairs in both directions, so a careless lock order would deadlock
                        sender, recipient = rng.sample(users, 2)
                        service.transfer(
                            sender_id=sender.pk,
                            recipient_id=recipient.pk,
                            amount_sat=rng.randint(1, 60_000),
                            idempotency_key=f"t-{seed}-{n}",
                        )
                except (InsufficientFunds, EscrowError) as exc:
                    refused.append(exc)
        except BaseException as exc:  # any other error fails the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a worker hung"
    assert errors == [], errors[:3]
    retried = [r.getMessage() for r in caplog.records if "retried after" in r.getMessage()]
    assert retried == []  # not even a deadlock that a retry would have hidden

    balances = dict(Account.objects.values_list("code", "balance_sat"))
    held = sum(v for code, v in balances.items() if code != "asset:onchain")
    assert held == total == -balances["asset:onchain"]
    assert all(v >= 0 for code, v in balances.items() if code != "asset:onchain")
    assert JournalEntry.objects.filter(idempotency_key__startswith="transfer:shared-").count() <= len(shared_keys)
    report = ledger_auditor.audit()
    assert report.ok, [(c.name, c.examples) for c in report.violations]
    moved = JournalEntry.objects.filter(kind="transfer").count()
    assert moved > THREADS * OPS_PER_THREAD // 3  # most transfers went through: it really ran concurrently
