"""WalletService on the real database: ledger, escrow, deposits, withdrawals, corrections."""

import pytest
from django.db import IntegrityError, transaction

from marketplace.wallets.models import (
    Account,
    Deposit,
    DepositAddress,
    JournalEntry,
    Posting,
    Withdrawal,
)
from services.errors import (
    DepositError,
    EscrowError,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidAddress,
    InvalidAmount,
    NotFound,
    PermissionDenied,
    WalletError,
    WithdrawalError,
)
from services.money import MAX_SATS
from tests.support.wallets import fake_txid, finance_pair

pytestmark = pytest.mark.django_db

REGTEST_OUTSIDE = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"


def balances(*users):
    return tuple(_balance(u) for u in users)


def _balance(user, kind=Account.Kind.USER):
    return Account.objects.filter(user=user, kind=kind).values_list("balance_sat", flat=True).first() or 0


def escrow(order_ref):
    return Account.objects.filter(code=f"escrow:{order_ref}").values_list("balance_sat", flat=True).first() or 0


def fees():
    return Account.objects.filter(code="fees").values_list("balance_sat", flat=True).first() or 0


def snapshot():
    return (
        list(Account.objects.order_by("code").values_list("code", "balance_sat")),
        JournalEntry.objects.count(),
        Posting.objects.count(),
        Withdrawal.objects.count(),
    )


@pytest.fixture
def alice(make_user, fund):
    user = make_user("alice")
    fund(user, 1_000_000)
    return user


@pytest.fixture
def bob(make_user):
    return make_user("bob")


def test_deposit_credits_the_user_against_the_asset_account(wallet_service, make_user, ledger_auditor):
    user = make_user()
    proposer, confirmer = finance_pair()
    txid = fake_txid()
    proposed = wallet_service.propose_deposit(
        staff_user_id=proposer.pk, user_id=user.pk, amount_sat=150_000, txid=txid, vout=1
    )
    assert (proposed.status, proposed.check_status, _balance(user)) == ("proposed", "unchecked", 0)
    result = wallet_service.confirm_deposit(staff_user_id=confirmer.pk, deposit_id=proposed.deposit_id)
    assert (result.amount_sat, result.status, result.replayed) == (150_000, "credited", False)
    assert _balance(user) == 150_000
    assert Account.objects.get(code="asset:onchain").balance_sat == -150_000
    again = wallet_service.propose_deposit(
        staff_user_id=proposer.pk, user_id=user.pk, amount_sat=150_000, txid=txid.upper(), vout=1
    )
    assert again.replayed and again.deposit_id == result.deposit_id and again.status == "credited"
    assert wallet_service.confirm_deposit(staff_user_id=confirmer.pk, deposit_id=result.deposit_id).replayed
    assert _balance(user) == 150_000 and Deposit.objects.count() == 1
    with pytest.raises(DepositError, match="already recorded"):
        wallet_service.propose_deposit(staff_user_id=proposer.pk, user_id=user.pk, amount_sat=999, txid=txid, vout=1)
    deposit = Deposit.objects.get()
    assert (deposit.recorded_by_id, deposit.reviewed_by_id) == (proposer.pk, confirmer.pk)
    assert ledger_auditor.audit().ok


def test_transfer_moves_money_and_a_replay_moves_nothing(wallet_service, alice, bob):
    first = wallet_service.transfer(sender_id=alice.pk, recipient_id=bob.pk, amount_sat=300_000, idempotency_key="t-1")
    assert not first.replayed and dict(first.postings) == {
        f"user:{alice.pk}": -300_000,
        f"user:{bob.pk}": 300_000,
    }
    assert balances(alice, bob) == (700_000, 300_000)
    replay = wallet_service.transfer(sender_id=alice.pk, recipient_id=bob.pk, amount_sat=300_000, idempotency_key="t-1")
    assert replay.replayed and replay.entry_id == first.entry_id and replay.postings == first.postings
    assert balances(alice, bob) == (700_000, 300_000)
    before = snapshot()
    with pytest.raises(IdempotencyConflict):
        wallet_service.transfer(sender_id=alice.pk, recipient_id=bob.pk, amount_sat=1, idempotency_key="t-1")
    assert snapshot() == before


def test_no_overdraw_and_nothing_changes(wallet_service, alice, bob):
    before = snapshot()
    with pytest.raises(InsufficientFunds, match="available balance is 0.01000000 BTC"):
        wallet_service.transfer(sender_id=alice.pk, recipient_id=bob.pk, amount_sat=1_000_001, idempotency_key="big")
    assert snapshot() == before
    # the key was not used up by the refusal
    wallet_service.transfer(sender_id=alice.pk, recipient_id=bob.pk, amount_sat=1_000_000, idempotency_key="big")
    assert balances(alice, bob) == (0, 1_000_000)


@pytest.mark.parametrize(
    "amount, error",
    [
        (0, InvalidAmount),
        (-1, InvalidAmount),
        (1.5, InvalidAmount),
        ("100", InvalidAmount),
        (True, InvalidAmount),
        (None, InvalidAmount),
        (MAX_SATS + 1, InvalidAmount),
        (10**30, InvalidAmount),
    ],
)
def test_bad_amounts_are_refused_and_change_nothing(wallet_service, alice, bob, amount, error):
    before = snapshot()
    calls = [
        lambda: wallet_service.transfer(
            sender_id=alice.pk, recipient_id=bob.pk, amount_sat=amount, idempotency_key="k"
        ),
        lambda: wallet_service.hold(buyer_id=alice.pk, order_ref="O-1", amount_sat=amount, idempotency_key="k"),
        lambda: wallet_service.propose_deposit(
            staff_user_id=finance_pair()[0].pk, user_id=alice.pk, amount_sat=amount, txid=fake_txid(), vout=0
        ),
        lambda: wallet_service.request_withdrawal(
            user_id=alice.pk, address=REGTEST_OUTSIDE, amount_sat=amount, idempotency_key="k"
        ),
    ]
    for call in calls:
        with pytest.raises(error) as caught:
            call()
        assert caught.value.message
    assert snapshot() == before


def test_bad_identities_and_keys(wallet_service, alice, bob):
    before = snapshot()
    with pytest.raises(WalletError, match="same user"):
        wallet_service.transfer(sender_id=alice.pk, recipient_id=alice.pk, amount_sat=1, idempotency_key="k")
    with pytest.raises(NotFound):
        wallet_service.transfer(sender_id=alice.pk, recipient_id=987654, amount_sat=1, idempotency_key="k")
    for key in ("", "   ", "x" * 201, "tab\tkey", None, 5):
        with pytest.raises(WalletError, match="idempotency key"):
            wallet_service.transfer(sender_id=alice.pk, recipient_id=bob.pk, amount_sat=1, idempotency_key=key)
    for ref in ("", " O-1", "x" * 101, "ord/1", None):
        with pytest.raises(EscrowError):
            wallet_service.hold(buyer_id=alice.pk, order_ref=ref, amount_sat=1, idempotency_key="k")
    assert snapshot() == before


def test_hold_then_release_pays_the_vendor_minus_commission_in_one_entry(wallet_service, alice, bob, ledger_auditor):
    wallet_service.hold(buyer_id=alice.pk, order_ref="ORD-1", amount_sat=100_001, idempotency_key="pay-1")
    assert (_balance(alice), escrow("ORD-1")) == (899_999, 100_001)
    released = wallet_service.release(order_ref="ORD-1", vendor_id=bob.pk, commission_bps=250, idempotency_key="rel-1")
    commission = 100_001 * 250 // 10_000
    assert commission == 2_500
    assert dict(released.postings) == {
        "escrow:ORD-1": -100_001,
        f"user:{bob.pk}": 97_501,
        "fees": 2_500,
    }
    assert (escrow("ORD-1"), _balance(bob), fees()) == (0, 97_501, 2_500)
    assert wallet_service.release(
        order_ref="ORD-1", vendor_id=bob.pk, commission_bps=250, idempotency_key="rel-1"
    ).replayed
    with pytest.raises(EscrowError, match="empty"):
        wallet_service.release(order_ref="ORD-1", vendor_id=bob.pk, commission_bps=250, idempotency_key="rel-2")
    assert ledger_auditor.audit().ok


def test_refund_and_partial_amounts(wallet_service, alice, bob):
    wallet_service.hold(buyer_id=alice.pk, order_ref="ORD-2", amount_sat=50_000, idempotency_key="pay-2")
    with pytest.raises(EscrowError, match="holds 0.00050000 BTC"):
        wallet_service.refund(order_ref="ORD-2", buyer_id=alice.pk, amount_sat=50_001, idempotency_key="ref-x")
    wallet_service.refund(order_ref="ORD-2", buyer_id=alice.pk, amount_sat=20_000, idempotency_key="ref-1")
    assert escrow("ORD-2") == 30_000
    wallet_service.refund(order_ref="ORD-2", buyer_id=alice.pk, idempotency_key="ref-2")
    assert (escrow("ORD-2"), _balance(alice)) == (0, 1_000_000)


def test_split_sends_part_each_way(wallet_service, alice, bob, ledger_auditor):
    wallet_service.hold(buyer_id=alice.pk, order_ref="ORD-3", amount_sat=80_000, idempotency_key="pay-3")
    with pytest.raises(EscrowError, match="use a refund"):
        wallet_service.split(
            order_ref="ORD-3",
            buyer_id=alice.pk,
            vendor_id=bob.pk,
            buyer_sat=80_000,
            commission_bps=100,
            idempotency_key="split-x",
        )
    posted = wallet_service.split(
        order_ref="ORD-3",
        buyer_id=alice.pk,
        vendor_id=bob.pk,
        buyer_sat=30_000,
        commission_bps=100,
        idempotency_key="split-1",
    )
    assert dict(posted.postings) == {
        "escrow:ORD-3": -80_000,
        f"user:{alice.pk}": 30_000,
        f"user:{bob.pk}": 49_500,
        "fees": 500,
    }
    assert ledger_auditor.audit().ok


@pytest.mark.parametrize("bps", [-1, 10_001, 2.5, "100", None, True])
def test_commission_must_be_basis_points(wallet_service, alice, bob, bps):
    wallet_service.hold(buyer_id=alice.pk, order_ref="ORD-4", amount_sat=10_000, idempotency_key="pay-4")
    with pytest.raises(EscrowError, match="basis points"):
        wallet_service.release(order_ref="ORD-4", vendor_id=bob.pk, commission_bps=bps, idempotency_key="r")
    assert escrow("ORD-4") == 10_000


def test_escrow_primitives_work_inside_the_callers_transaction(wallet_service, alice, bob):
    """The orders module pays inside its own transaction: a refusal leaves it usable, a rollback
    of the caller undoes the entry."""
    with transaction.atomic():
        wallet_service.hold(buyer_id=alice.pk, order_ref="ORD-5", amount_sat=10_000, idempotency_key="pay-5")
        with pytest.raises(InsufficientFunds):
            wallet_service.hold(buyer_id=alice.pk, order_ref="ORD-6", amount_sat=10**9, idempotency_key="pay-6")
        # the same key again inside the same transaction: a replay, not an error
        assert wallet_service.hold(
            buyer_id=alice.pk, order_ref="ORD-5", amount_sat=10_000, idempotency_key="pay-5"
        ).replayed
        assert escrow("ORD-5") == 10_000
    assert escrow("ORD-5") == 10_000

    class OrderFailed(Exception):
        pass

    with pytest.raises(OrderFailed), transaction.atomic():
        wallet_service.hold(buyer_id=alice.pk, order_ref="ORD-7", amount_sat=20_000, idempotency_key="pay-7")
        raise OrderFailed
    assert escrow("ORD-7") == 0 and not JournalEntry.objects.filter(idempotency_key="hold:pay-7").exists()


def test_entries_and_postings_are_immutable_in_the_database(wallet_service, alice, bob):
    posted = wallet_service.transfer(sender_id=alice.pk, recipient_id=bob.pk, amount_sat=5, idempotency_key="imm")
    with pytest.raises(IntegrityError), transaction.atomic():
        Posting.objects.filter(entry_id=posted.entry_id).update(amount_sat=500)
    with pytest.raises(IntegrityError), transaction.atomic():
        JournalEntry.objects.filter(pk=posted.entry_id).update(memo="edited")
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(user=alice, kind="user").update(balance_sat=-1)  # the CHECK constraint
    assert Posting.objects.filter(entry_id=posted.entry_id, amount_sat=5).exists()


def test_reversal_is_a_new_entry(wallet_service, alice, bob, staff_user, ledger_auditor):
    posted = wallet_service.transfer(sender_id=alice.pk, recipient_id=bob.pk, amount_sat=40_000, idempotency_key="oops")
    with pytest.raises(PermissionDenied):
        wallet_service.reverse_entry(staff_user_id=alice.pk, entry_id=posted.entry_id, reason="mine")
    reversal = wallet_service.reverse_entry(
        staff_user_id=staff_user.pk, entry_id=posted.entry_id, reason="wrong person"
    )
    assert balances(alice, bob) == (1_000_000, 0)
    assert JournalEntry.objects.get(pk=reversal.entry_id).reverses_id == posted.entry_id
    assert wallet_service.reverse_entry(
        staff_user_id=staff_user.pk, entry_id=posted.entry_id, reason="wrong person"
    ).replayed
    assert balances(alice, bob) == (1_000_000, 0)
    with pytest.raises(WalletError, match="settled through its own flow"):
        wallet_service.reverse_entry(staff_user_id=staff_user.pk, entry_id=reversal.entry_id, reason="again")
    assert ledger_auditor.audit().ok


def test_a_spent_deposit_cannot_be_reversed(wallet_service, make_user, bob, staff_user, fund):
    carol = make_user("carol")
    deposit = fund(carol, 10_000)
    wallet_service.transfer(sender_id=carol.pk, recipient_id=bob.pk, amount_sat=9_000, idempotency_key="spend")
    entry_id = Deposit.objects.get(pk=deposit.deposit_id).entry_id
    with pytest.raises(InsufficientFunds):
        wallet_service.reverse_entry(staff_user_id=staff_user.pk, entry_id=entry_id, reason="bad deposit")
    assert Deposit.objects.get(pk=deposit.deposit_id).status == "credited"


def test_withdrawal_request_moves_funds_to_pending_and_staff_approve(wallet_service, alice, staff_user, ledger_auditor):
    fee = wallet_service.withdrawal_fee_sat
    result = wallet_service.request_withdrawal(
        user_id=alice.pk, address=REGTEST_OUTSIDE.upper(), amount_sat=100_000, idempotency_key="w-1"
    )
    assert (result.status, result.address, result.fee_sat) == ("pending", REGTEST_OUTSIDE, fee)
    assert _balance(alice) == 1_000_000 - 100_000 - fee
    assert _balance(alice, Account.Kind.WITHDRAWAL) == 100_000 + fee
    replay = wallet_service.request_withdrawal(
        user_id=alice.pk, address=REGTEST_OUTSIDE, amount_sat=100_000, idempotency_key="w-1"
    )
    assert replay.replayed and replay.withdrawal_id == result.withdrawal_id and Withdrawal.objects.count() == 1
    with pytest.raises(WithdrawalError, match="already sent with other details"):
        wallet_service.request_withdrawal(
            user_id=alice.pk, address=REGTEST_OUTSIDE, amount_sat=100_001, idempotency_key="w-1"
        )
    with pytest.raises(PermissionDenied):
        wallet_service.approve_withdrawal(staff_user_id=alice.pk, withdrawal_id=result.withdrawal_id, txid="ab" * 32)
    with pytest.raises(DepositError, match="64 hexadecimal"):
        wallet_service.approve_withdrawal(staff_user_id=staff_user.pk, withdrawal_id=result.withdrawal_id, txid="zz")
    sent = wallet_service.approve_withdrawal(
        staff_user_id=staff_user.pk, withdrawal_id=result.withdrawal_id, txid="AB" * 32
    )
    assert (sent.status, sent.txid) == ("sent", "ab" * 32)
    assert _balance(alice, Account.Kind.WITHDRAWAL) == 0
    assert Account.objects.get(code="asset:onchain").balance_sat == -(1_000_000 - 100_000 - fee)
    assert wallet_service.approve_withdrawal(
        staff_user_id=staff_user.pk, withdrawal_id=result.withdrawal_id, txid="ab" * 32
    ).replayed
    with pytest.raises(WithdrawalError, match="already sent"):
        wallet_service.reject_withdrawal(staff_user_id=staff_user.pk, withdrawal_id=result.withdrawal_id, reason="no")
    with pytest.raises(WithdrawalError, match="already sent"):
        wallet_service.cancel_withdrawal(user_id=alice.pk, withdrawal_id=result.withdrawal_id)
    assert ledger_auditor.audit().ok


def test_rejected_and_cancelled_withdrawals_return_the_funds(wallet_service, alice, bob, staff_user):
    first = wallet_service.request_withdrawal(
        user_id=alice.pk, address=REGTEST_OUTSIDE, amount_sat=50_000, idempotency_key="w-a"
    )
    second = wallet_service.request_withdrawal(
        user_id=alice.pk, address=REGTEST_OUTSIDE, amount_sat=60_000, idempotency_key="w-b"
    )
    with pytest.raises(WithdrawalError, match="reason"):
        wallet_service.reject_withdrawal(staff_user_id=staff_user.pk, withdrawal_id=first.withdrawal_id, reason="  ")
    wallet_service.reject_withdrawal(
        staff_user_id=staff_user.pk,
        withdrawal_id=first.withdrawal_id,
        reason="address on a sanctions list",
    )
    with pytest.raises(NotFound):  # bob cannot touch alice's withdrawal; it looks like a missing one
        wallet_service.cancel_withdrawal(user_id=bob.pk, withdrawal_id=second.withdrawal_id)
    wallet_service.cancel_withdrawal(user_id=alice.pk, withdrawal_id=second.withdrawal_id)
    assert _balance(alice) == 1_000_000 and _balance(alice, Account.Kind.WITHDRAWAL) == 0
    assert set(Withdrawal.objects.values_list("status", flat=True)) == {"rejected", "cancelled"}
    for bad_id in (0, -1, "abc", 2**70, None, 3.5):
        with pytest.raises(NotFound):
            wallet_service.cancel_withdrawal(user_id=alice.pk, withdrawal_id=bad_id)


def test_withdrawal_rules(wallet_service, alice):
    before = snapshot()
    minimum = wallet_service.withdrawal_min_sat
    with pytest.raises(WithdrawalError, match="smallest withdrawal"):
        wallet_service.request_withdrawal(
            user_id=alice.pk, address=REGTEST_OUTSIDE, amount_sat=minimum - 1, idempotency_key="a"
        )
    with pytest.raises(InsufficientFunds, match="network fee"):
        wallet_service.request_withdrawal(
            user_id=alice.pk, address=REGTEST_OUTSIDE, amount_sat=1_000_000, idempotency_key="b"
        )
    for address in (
        "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu",
        "not an address",
        "",
        "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx",
    ):
        with pytest.raises(InvalidAddress):
            wallet_service.request_withdrawal(
                user_id=alice.pk, address=address, amount_sat=minimum, idempotency_key="c"
            )
    own = wallet_service.current_deposit_address(user_id=alice.pk).address
    before = snapshot()
    with pytest.raises(InvalidAddress, match="deposit address of this marketplace"):
        wallet_service.request_withdrawal(user_id=alice.pk, address=own, amount_sat=minimum, idempotency_key="d")
    assert snapshot() == before


def test_deposit_addresses_are_derived_unique_and_move_on_after_use(wallet_service, make_user):
    one, two = make_user(), make_user()
    first = wallet_service.current_deposit_address(user_id=one.pk)
    assert wallet_service.current_deposit_address(user_id=one.pk) == first  # stable until paid
    other = wallet_service.current_deposit_address(user_id=two.pk)
    assert other.index == first.index + 1 and other.address != first.address
    DepositAddress.objects.filter(address=first.address).update(used_at="2024-01-01T00:00:00Z")
    following = wallet_service.current_deposit_address(user_id=one.pk)
    assert following.index == other.index + 1
    assert DepositAddress.objects.values("index").distinct().count() == DepositAddress.objects.count() == 3
    with pytest.raises(NotFound):
        wallet_service.current_deposit_address(user_id=123456)


def test_deposit_proposals_need_the_deposits_capability_and_good_references(wallet_service, make_user, make_staff):
    user = make_user()
    admin_door_only = make_user()
    type(user).objects.filter(pk=admin_door_only.pk).update(is_staff=True)  # staff, but no role
    for outsider in (user, admin_door_only, make_staff("support,moderator,operator")):
        with pytest.raises(PermissionDenied):
            wallet_service.propose_deposit(
                staff_user_id=outsider.pk, user_id=user.pk, amount_sat=5, txid=fake_txid(), vout=0
            )
    finance = make_staff("finance")
    for txid, vout in (
        ("abc", 0),
        (fake_txid(), -1),
        (fake_txid(), 2**32),
        (None, 0),
        (fake_txid(), "1"),
    ):
        with pytest.raises(DepositError):
            wallet_service.propose_deposit(
                staff_user_id=finance.pk, user_id=user.pk, amount_sat=5, txid=txid, vout=vout
            )
    with pytest.raises(NotFound):
        wallet_service.propose_deposit(staff_user_id=finance.pk, user_id=987654, amount_sat=5, txid=fake_txid(), vout=0)
    assert not Deposit.objects.exists()
