"""Fixed entries posted outside a transaction on PostgreSQL: one statement, or the full path.

The one-statement path (``services.ledger._post_in_one_statement``) only runs outside
``transaction.atomic()``, hence ``transaction=True``. A spy records what it answered each time, so
each test proves which path wrote the entry, then checks the ledger the same way as everywhere.
"""

import pytest
from modkit.instrumentation import original_class

from marketplace.wallets.models import Account, JournalEntry, Posting
from services.errors import IdempotencyConflict, InsufficientFunds

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def one_statement(monkeypatch, wallet_service):
    """The answers of the one-statement path, in order: an entry id, or None (full path).

    Spied on in the module the live ledger's code comes from: after a hot reload that is a
    fresh copy of ``services.ledger``, not the one imported here.
    """
    answers = []
    live = original_class(type(wallet_service._ledger)).post.__globals__
    real = live["_post_in_one_statement"]

    def spy(*args, **kwargs):
        posted = real(*args, **kwargs)
        answers.append(None if posted is None else posted.entry_id)
        return posted

    monkeypatch.setitem(live, "_post_in_one_statement", spy)
    return answers


@pytest.fixture
def pair(make_user, fund):
    alice, bob = make_user("alice1s"), make_user("bob1s")
    for user in (alice, bob):
        fund(user, 50_000)
    return alice, bob


def balances(*users) -> list[int]:
    return [Account.objects.get(code=f"user:{u.pk}").balance_sat for u in users]


def test_a_transfer_between_existing_accounts_is_one_statement(pair, wallet_service, one_statement, ledger_auditor):
    alice, bob = pair
    posted = wallet_service.transfer(sender_id=alice.pk, recipient_id=bob.pk, amount_sat=1_234, idempotency_key="t1")
    assert one_statement == [posted.entry_id]
    assert balances(alice, bob) == [50_000 - 1_234, 50_000 + 1_234]
    entry = JournalEntry.objects.get(pk=posted.entry_id)
    assert (entry.kind, entry.idempotency_key) == ("transfer", "transfer:t1")
    assert sorted(Posting.objects.filter(entry=entry).values_list("account__code", "amount_sat")) == sorted(
        [(f"user:{alice.pk}", -1_234), (f"user:{bob.pk}", 1_234)]
    )
    assert posted.postings == ((f"user:{alice.pk}", -1_234), (f"user:{bob.pk}", 1_234))
    assert ledger_auditor.audit().ok


def test_insufficient_funds_fall_back_and_explain_with_nothing_written(pair, wallet_service, one_statement):
    alice, bob = pair
    entries = JournalEntry.objects.count()
    with pytest.raises(InsufficientFunds, match="available balance is 0.00050000 BTC"):
        wallet_service.transfer(sender_id=alice.pk, recipient_id=bob.pk, amount_sat=50_001, idempotency_key="t2")
    assert one_statement == [None]  # the CHECK refused it; the full path said why
    assert balances(alice, bob) == [50_000, 50_000]
    assert JournalEntry.objects.count() == entries


def test_a_replayed_key_moves_money_once_and_a_changed_request_is_refused(pair, wallet_service, one_statement):
    alice, bob = pair
    first = wallet_service.transfer(sender_id=alice.pk, recipient_id=bob.pk, amount_sat=700, idempotency_key="t3")
    again = wallet_service.transfer(sender_id=alice.pk, recipient_id=bob.pk, amount_sat=700, idempotency_key="t3")
    assert (again.entry_id, again.replayed, first.replayed) == (first.entry_id, True, False)
    assert one_statement == [first.entry_id, None]
    with pytest.raises(IdempotencyConflict):
        wallet_service.transfer(sender_id=alice.pk, recipient_id=bob.pk, amount_sat=701, idempotency_key="t3")
    assert balances(alice, bob) == [50_000 - 700, 50_000 + 700]


def test_an_account_not_yet_opened_is_created_by_the_full_path(make_user, pair, wallet_service, one_statement):
    alice, _ = pair
    newcomer = make_user("newcomer1s")
    assert not Account.objects.filter(code=f"user:{newcomer.pk}").exists()
    posted = wallet_service.transfer(sender_id=alice.pk, recipient_id=newcomer.pk, amount_sat=900, idempotency_key="t4")
    assert one_statement == [None]
    assert balances(alice, newcomer) == [50_000 - 900, 900]
    assert JournalEntry.objects.filter(pk=posted.entry_id).exists()
    # The account exists now: the next one takes the single statement.
    wallet_service.transfer(sender_id=newcomer.pk, recipient_id=alice.pk, amount_sat=100, idempotency_key="t5")
    assert one_statement[-1] is not None


def test_inside_a_transaction_the_entry_commits_with_the_callers_rows(pair, wallet_service, one_statement):
    from django.db import transaction

    alice, bob = pair
    with pytest.raises(RuntimeError), transaction.atomic():
        wallet_service.transfer(sender_id=alice.pk, recipient_id=bob.pk, amount_sat=300, idempotency_key="t6")
        raise RuntimeError("the caller's transaction fails after the transfer")
    assert one_statement == []  # never used inside a transaction: it could not be rolled back
    assert balances(alice, bob) == [50_000, 50_000]
    assert not JournalEntry.objects.filter(idempotency_key="transfer:t6").exists()
