"""What one payment sends to the database: the ledger's statements prepared once per connection on
PostgreSQL, a new escrow opened without a savepoint, a checkout's statements counted."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from marketplace.wallets.models import Account
from services.errors import InsufficientFunds


def prepared_ledger_statements() -> list[tuple[str, int]]:
    """The statements this connection prepared with the ledger's tables in them, and how often
    each ran prepared (``pg_prepared_statements`` counts the plans it used)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT statement, generic_plans + custom_plans FROM pg_prepared_statements "
            "WHERE statement LIKE %s ORDER BY statement",
            ["%wallets_journal_entry%"],
        )
        return cursor.fetchall()


@pytest.fixture
def pair(make_user, fund):
    alice, bob = make_user("alicert"), make_user("bobrt")
    for user in (alice, bob):
        fund(user, 50_000)
    return alice, bob


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_one_statement_is_prepared_once_and_reused(pair, wallet_service):
    alice, bob = pair
    before = dict(prepared_ledger_statements())
    for n in range(3):
        wallet_service.transfer(sender_id=alice.pk, recipient_id=bob.pk, amount_sat=10, idempotency_key=f"p{n}")
    after = prepared_ledger_statements()
    ran = [(sql, count - before.get(sql, 0)) for sql, count in after if "WITH moves (code, amount_sat)" in sql]
    assert [count for _, count in ran] == [3]  # parsed once; planned as the server chose, 3 times


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_deployment_that_turns_preparing_off_is_obeyed(pair, wallet_service, monkeypatch):
    alice, bob = pair
    # A transaction-pooling proxy loses prepared statements: the settings say so explicitly.
    monkeypatch.setitem(
        connection.settings_dict, "OPTIONS", {**connection.settings_dict["OPTIONS"], "prepare_threshold": None}
    )
    connection.close()
    for n in range(2):
        wallet_service.transfer(sender_id=alice.pk, recipient_id=bob.pk, amount_sat=10, idempotency_key=f"o{n}")
    assert prepared_ledger_statements() == []
    connection.close()  # the next test connects with the settings as they were


@pytest.mark.django_db
def test_a_new_escrow_is_opened_without_a_savepoint_of_its_own(market, wallet_service):
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:  # a caller's transaction
        wallet_service.hold(buyer_id=market.buyer.pk, order_ref="ORD-RT1", amount_sat=1_000, idempotency_key="rt1")
    savepoints = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("SAVEPOINT")]
    assert len(savepoints) == 1  # the entry's own, which a refusal rolls back
    assert Account.objects.get(code="escrow:ORD-RT1").balance_sat == 1_000
    assert Account.objects.get(code=f"user:{market.buyer.pk}").balance_sat == 1_000_000 - 1_000


@pytest.mark.django_db
def test_a_refused_hold_leaves_the_callers_transaction_usable_and_opens_nothing(market, wallet_service):
    with transaction.atomic():
        with pytest.raises(InsufficientFunds):
            wallet_service.hold(buyer_id=market.buyer.pk, order_ref="ORD-RT2", amount_sat=10**9, idempotency_key="rt2")
        assert Account.objects.filter(code=f"user:{market.buyer.pk}").exists()  # still usable
    assert not Account.objects.filter(code="escrow:ORD-RT2").exists()


@pytest.mark.django_db
def test_a_checkouts_statements(market, order_service, django_assert_num_queries):
    # In the test's transaction (a savepoint here): the checkout row, first (no look-up of its key
    # before it); the stock (savepoint, lock, listing, decrement, release); order; line; the hold
    # (savepoint, escrow opened, release; on SQLite also the ledger's two locks and three writes,
    # which on PostgreSQL go through its own cursor); the event; the total. The commit and what
    # runs after it are not in a test's transaction.
    order_service.checkout(buyer_id=market.buyer.pk, idempotency_key="rt-warm", items={market.saw: 1})
    expected = 15 if connection.vendor == "postgresql" else 20
    with django_assert_num_queries(expected):
        order_service.checkout(buyer_id=market.buyer.pk, idempotency_key="rt-counted", items={market.lamp: 1})


@pytest.mark.django_db
def test_a_replayed_checkout_returns_the_first_without_buying_again(market, order_service):
    first = order_service.checkout(buyer_id=market.buyer.pk, idempotency_key="rt-again", items={market.lamp: 1})
    again = order_service.checkout(buyer_id=market.buyer.pk, idempotency_key="rt-again", items={market.saw: 2})
    assert (again.checkout_id, again.references, again.replayed) == (first.checkout_id, first.references, True)
    assert Account.objects.get(code=f"user:{market.buyer.pk}").balance_sat == 1_000_000 - 120_000
