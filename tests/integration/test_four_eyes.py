"""Four eyes on money: no one member of staff can mint a deposit, or send a withdrawal, alone.

Services on the real database. Deposits recorded by hand are proposals a second finance member
confirms; withdrawals are approved by someone other than the requester (two people above the
configured amount); each decision is audited. The ledger audit runs after every test.
"""

import io
from functools import partial

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction

from marketplace.accounts.models import StaffAction
from marketplace.wallets.models import Account, Deposit, JournalEntry, Withdrawal, WithdrawalApproval
from services.errors import DepositError, InsufficientFunds, NotFound, PermissionDenied, WalletError, WithdrawalError
from tests.support.races import race
from tests.support.wallets import fake_txid

pytestmark = [pytest.mark.django_db]

OUTSIDE = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"


@pytest.fixture(autouse=True)
def ledger_stays_clean(ledger_auditor):
    yield
    report = ledger_auditor.audit()
    assert report.ok, [(c.name, c.detail, c.examples) for c in report.violations]


@pytest.fixture
def trio(make_staff):
    """Three finance members: enough for every rule to have someone allowed."""
    return make_staff("finance", username="fran"), make_staff("finance", username="tess"), make_staff("finance")


def available(user) -> int:
    return Account.objects.filter(code=f"user:{user.pk}").values_list("balance_sat", flat=True).first() or 0


def money():
    """Every balance and every entry: what must not change when a step is refused."""
    return sorted(Account.objects.values_list("code", "balance_sat")), JournalEntry.objects.count()


def actions(name):
    return list(StaffAction.objects.filter(action=name).order_by("id"))


def test_a_staff_member_alone_can_neither_mint_nor_withdraw(wallet_service, make_staff, make_user, fund):
    """The sequence four eyes exist for: propose money for yourself, confirm it, withdraw it."""
    mallory = make_staff("finance", username="mallory")
    before = money()
    proposal = wallet_service.propose_deposit(
        staff_user_id=mallory.pk, user_id=mallory.pk, amount_sat=500_000_000, txid=fake_txid(), vout=0
    )
    assert proposal.status == "proposed" and money() == before  # a proposal credits nothing
    with pytest.raises(PermissionDenied, match="You proposed this deposit"):
        wallet_service.confirm_deposit(staff_user_id=mallory.pk, deposit_id=proposal.deposit_id)
    with pytest.raises(CommandError, match="You proposed this deposit"):
        call_command("confirm_deposit", str(proposal.deposit_id), "--by", "mallory", stdout=io.StringIO())
    with pytest.raises(InsufficientFunds):
        wallet_service.request_withdrawal(
            user_id=mallory.pk, address=OUTSIDE, amount_sat=400_000_000, idempotency_key="loot"
        )
    assert money() == before and Deposit.objects.get().status == "proposed" and available(mallory) == 0
    # A colleague proposing it changes nothing: the person credited does not confirm either.
    colleague = make_staff("finance")
    other = wallet_service.propose_deposit(
        staff_user_id=colleague.pk, user_id=mallory.pk, amount_sat=300_000, txid=fake_txid(), vout=0
    )
    with pytest.raises(PermissionDenied, match="credits your own balance"):
        wallet_service.confirm_deposit(staff_user_id=mallory.pk, deposit_id=other.deposit_id)
    assert money() == before
    # With money of her own (credited by two others), she still cannot send it out alone.
    fund(mallory, 200_000)
    request = wallet_service.request_withdrawal(
        user_id=mallory.pk, address=OUTSIDE, amount_sat=150_000, idempotency_key="mine"
    )
    pending = money()
    with pytest.raises(PermissionDenied, match="Nobody reviews their own withdrawal"):
        wallet_service.approve_withdrawal(staff_user_id=mallory.pk, withdrawal_id=request.withdrawal_id, txid="ab" * 32)
    with pytest.raises(PermissionDenied, match="Nobody reviews their own withdrawal"):
        wallet_service.reject_withdrawal(staff_user_id=mallory.pk, withdrawal_id=request.withdrawal_id, reason="x")
    assert money() == pending and Withdrawal.objects.get().status == "pending"
    assert not WithdrawalApproval.objects.exists() and not JournalEntry.objects.filter(kind="withdrawal_sent").exists()
    assert [a.action for a in StaffAction.objects.filter(actor=mallory)] == ["wallets.deposit_proposed"]


def test_confirmation_needs_a_second_person_who_is_not_the_beneficiary(wallet_service, trio, make_user):
    fran, tess, third = trio
    alice = make_user("alice")
    for_alice = wallet_service.propose_deposit(
        staff_user_id=fran.pk, user_id=alice.pk, amount_sat=120_000, txid=fake_txid(), vout=3
    )
    for_tess = wallet_service.propose_deposit(
        staff_user_id=fran.pk, user_id=tess.pk, amount_sat=80_000, txid=fake_txid(), vout=0
    )
    with pytest.raises(PermissionDenied):
        wallet_service.confirm_deposit(staff_user_id=fran.pk, deposit_id=for_alice.deposit_id)
    with pytest.raises(PermissionDenied):
        wallet_service.confirm_deposit(staff_user_id=alice.pk, deposit_id=for_alice.deposit_id)  # no capability
    with pytest.raises(PermissionDenied, match="credits your own balance"):
        wallet_service.confirm_deposit(staff_user_id=tess.pk, deposit_id=for_tess.deposit_id)
    assert (available(alice), available(tess)) == (0, 0)
    assert wallet_service.confirm_deposit(staff_user_id=tess.pk, deposit_id=for_alice.deposit_id).status == "credited"
    assert wallet_service.confirm_deposit(staff_user_id=third.pk, deposit_id=for_tess.deposit_id).status == "credited"
    assert (available(alice), available(tess)) == (120_000, 80_000)
    entry = JournalEntry.objects.get(idempotency_key=f"deposit:{Deposit.objects.get(pk=for_alice.deposit_id)}")
    assert entry.kind == "deposit"
    for bad in (0, -1, "abc", None, 2**70):
        with pytest.raises(NotFound):
            wallet_service.confirm_deposit(staff_user_id=tess.pk, deposit_id=bad)
    # Whatever code writes the row, the database refuses a confirmer who proposed or is credited.
    with pytest.raises(IntegrityError), transaction.atomic():
        Deposit.objects.filter(pk=for_alice.deposit_id).update(reviewed_by=fran)
    with pytest.raises(IntegrityError), transaction.atomic():
        Deposit.objects.filter(pk=for_tess.deposit_id).update(reviewed_by=tess)


def test_a_rejected_proposal_makes_way_for_a_corrected_one(wallet_service, trio, make_user):
    fran, tess, _ = trio
    bob = make_user("bob")
    txid = fake_txid()
    typo = wallet_service.propose_deposit(staff_user_id=fran.pk, user_id=bob.pk, amount_sat=99_000, txid=txid, vout=1)
    with pytest.raises(DepositError, match="already recorded"):  # one live record per output
        wallet_service.propose_deposit(staff_user_id=tess.pk, user_id=bob.pk, amount_sat=90_000, txid=txid, vout=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Deposit.objects.create(user=bob, txid=txid, vout=1, amount_sat=90_000, status="proposed", source="manual")
    with pytest.raises(DepositError, match="reason"):
        wallet_service.reject_deposit(staff_user_id=tess.pk, deposit_id=typo.deposit_id, reason="  ")
    # The proposer may take back their own typing mistake: a rejection credits nothing.
    rejected = wallet_service.reject_deposit(staff_user_id=fran.pk, deposit_id=typo.deposit_id, reason="typo")
    assert rejected.status == "rejected" and not rejected.replayed
    assert wallet_service.reject_deposit(staff_user_id=tess.pk, deposit_id=typo.deposit_id, reason="again").replayed
    with pytest.raises(DepositError, match="nothing to confirm"):
        wallet_service.confirm_deposit(staff_user_id=tess.pk, deposit_id=typo.deposit_id)
    fixed = wallet_service.propose_deposit(staff_user_id=fran.pk, user_id=bob.pk, amount_sat=90_000, txid=txid, vout=1)
    assert fixed.deposit_id != typo.deposit_id
    wallet_service.confirm_deposit(staff_user_id=tess.pk, deposit_id=fixed.deposit_id)
    with pytest.raises(DepositError, match="only a proposal can be rejected"):
        wallet_service.reject_deposit(staff_user_id=tess.pk, deposit_id=fixed.deposit_id, reason="late")
    assert available(bob) == 90_000
    assert sorted(Deposit.objects.values_list("status", "amount_sat")) == [("credited", 90_000), ("rejected", 99_000)]
    assert Deposit.objects.get(pk=typo.deposit_id).note == "typo"


def test_a_confirmation_racing_another_credits_once(wallet_service, trio, make_user, container):
    """The race replayed in one thread: colleague B confirms while A is between its first read
    and its lock (during the node check). A then finds it credited and moves nothing."""
    fran, tess, third = trio
    carol = make_user("carol")
    proposal = wallet_service.propose_deposit(
        staff_user_id=fran.pk, user_id=carol.pk, amount_sat=333_000, txid=fake_txid(), vout=0
    )
    real_chain = container.wallets.chain()

    class ColleagueFirst:
        name = real_chain.name
        calls = 0

        def verify_output(self, **kwargs):
            self.calls += 1
            if self.calls == 1:  # A is checking the output: B confirms right now
                beaten = container.wallets.wallet_service()
                assert not beaten.confirm_deposit(staff_user_id=third.pk, deposit_id=proposal.deposit_id).replayed
            return real_chain.verify_output(**kwargs)

        def poll(self, *, since):
            return real_chain.poll(since=since)

        def health(self):
            return real_chain.health()

    with container.wallets.chain.override(ColleagueFirst()):
        late = container.wallets.wallet_service().confirm_deposit(staff_user_id=tess.pk, deposit_id=proposal.deposit_id)
    assert late.replayed and late.status == "credited"
    assert available(carol) == 333_000
    assert JournalEntry.objects.filter(kind="deposit").count() == 1
    confirmed = actions("wallets.deposit_confirmed")
    assert [a.actor_id for a in confirmed] == [third.pk]  # only the one that credited is on record
    assert Deposit.objects.get().reviewed_by_id == third.pk


def test_withdrawals_are_approved_by_someone_else(wallet_service, trio, fund):
    fran, tess, _ = trio
    fund(fran, 500_000)
    request = wallet_service.request_withdrawal(
        user_id=fran.pk, address=OUTSIDE, amount_sat=100_000, idempotency_key="w"
    )
    assert (request.approvals_required, Withdrawal.objects.get().approvals_required) == (1, 1)
    with pytest.raises(PermissionDenied, match="their own withdrawal"):
        wallet_service.approve_withdrawal(staff_user_id=fran.pk, withdrawal_id=request.withdrawal_id, txid="cd" * 32)
    sent = wallet_service.approve_withdrawal(staff_user_id=tess.pk, withdrawal_id=request.withdrawal_id, txid="cd" * 32)
    assert (sent.status, sent.approvals, sent.approvals_required) == ("sent", 1, 1)
    assert available(fran) == 500_000 - 100_000 - wallet_service.withdrawal_fee_sat
    assert list(WithdrawalApproval.objects.values_list("approver", flat=True)) == [tess.pk]


def test_above_the_threshold_two_different_approvers_and_the_last_one_sends(wallet_service, trio, make_user, fund):
    fran, tess, third = trio
    alice = make_user("alice")
    fund(alice, 5_000_000)
    threshold = wallet_service.withdrawal_second_approval_sat
    assert threshold == 1_000_000
    at = wallet_service.request_withdrawal(user_id=alice.pk, address=OUTSIDE, amount_sat=threshold, idempotency_key="a")
    big = wallet_service.request_withdrawal(
        user_id=alice.pk, address=OUTSIDE, amount_sat=threshold + 1, idempotency_key="b"
    )
    assert (at.approvals_required, big.approvals_required) == (1, 2)
    before = money()
    with pytest.raises(WithdrawalError, match="needs 2 approvals before any bitcoin leaves") as early:
        wallet_service.approve_withdrawal(staff_user_id=fran.pk, withdrawal_id=big.withdrawal_id, txid="ef" * 32)
    assert early.value.errors == {"txid": [early.value.message]}
    first = wallet_service.approve_withdrawal(staff_user_id=fran.pk, withdrawal_id=big.withdrawal_id)
    assert (first.status, first.approvals, first.approvals_required, first.entry) == ("pending", 1, 2, None)
    assert money() == before  # one approval moves nothing
    for txid in ("", "ef" * 32):  # the same approver twice is still one pair of eyes
        with pytest.raises(PermissionDenied, match="already approved"):
            wallet_service.approve_withdrawal(staff_user_id=fran.pk, withdrawal_id=big.withdrawal_id, txid=txid)
    with pytest.raises(WithdrawalError, match="send the bitcoin, then approve with the transaction id"):
        wallet_service.approve_withdrawal(staff_user_id=tess.pk, withdrawal_id=big.withdrawal_id)
    assert money() == before
    with pytest.raises(IntegrityError), transaction.atomic():
        WithdrawalApproval.objects.create(withdrawal_id=big.withdrawal_id, approver=fran)
    with pytest.raises(IntegrityError), transaction.atomic():  # approvals are append-only
        WithdrawalApproval.objects.filter(withdrawal_id=big.withdrawal_id).update(approver=third)
    sent = wallet_service.approve_withdrawal(staff_user_id=tess.pk, withdrawal_id=big.withdrawal_id, txid="EF" * 32)
    assert (sent.status, sent.txid, sent.approvals) == ("sent", "ef" * 32, 2)
    assert wallet_service.approve_withdrawal(
        staff_user_id=tess.pk, withdrawal_id=big.withdrawal_id, txid="ef" * 32
    ).replayed
    with pytest.raises(WithdrawalError, match="already sent"):
        wallet_service.approve_withdrawal(staff_user_id=third.pk, withdrawal_id=big.withdrawal_id, txid="12" * 32)
    one = wallet_service.approve_withdrawal(staff_user_id=third.pk, withdrawal_id=at.withdrawal_id, txid="34" * 32)
    assert (one.status, one.approvals_required) == ("sent", 1)
    approvals = WithdrawalApproval.objects.filter(withdrawal_id=big.withdrawal_id).order_by("id")
    assert list(approvals.values_list("approver", flat=True)) == [fran.pk, tess.pk]
    logged = actions("wallets.withdrawal_approved")
    assert [(a.actor_id, a.detail["approval"], a.detail["sent"]) for a in logged] == [
        (fran.pk, 1, False),
        (tess.pk, 2, True),
        (third.pk, 1, True),
    ]
    assert logged[1].detail["amount_sat"] == threshold + 1 and logged[1].detail["txid"] == "ef" * 32


def test_the_user_may_cancel_between_approvals_and_one_rejection_is_enough(wallet_service, trio, make_user, fund):
    fran, tess, _ = trio
    bob = make_user("bob")
    fund(bob, 5_000_000)
    first = wallet_service.request_withdrawal(
        user_id=bob.pk, address=OUTSIDE, amount_sat=2_000_000, idempotency_key="1"
    )
    second = wallet_service.request_withdrawal(
        user_id=bob.pk, address=OUTSIDE, amount_sat=2_000_000, idempotency_key="2"
    )
    wallet_service.approve_withdrawal(staff_user_id=fran.pk, withdrawal_id=first.withdrawal_id)
    wallet_service.cancel_withdrawal(user_id=bob.pk, withdrawal_id=first.withdrawal_id)
    with pytest.raises(WithdrawalError, match="already cancelled"):
        wallet_service.approve_withdrawal(staff_user_id=tess.pk, withdrawal_id=first.withdrawal_id, txid="ab" * 32)
    wallet_service.approve_withdrawal(staff_user_id=fran.pk, withdrawal_id=second.withdrawal_id)
    rejected = wallet_service.reject_withdrawal(
        staff_user_id=fran.pk, withdrawal_id=second.withdrawal_id, reason="changed my mind"
    )
    assert rejected.status == "rejected" and available(bob) == 5_000_000
    assert [a.detail["reason"] for a in actions("wallets.withdrawal_rejected")] == ["changed my mind"]


def test_a_lower_threshold_configured_later_raises_what_pending_withdrawals_need(
    wallet_service, trio, make_user, fund, marketplace_config, container
):
    fran, tess, _ = trio
    alice = make_user("alice")
    fund(alice, 1_000_000)
    request = wallet_service.request_withdrawal(
        user_id=alice.pk, address=OUTSIDE, amount_sat=200_000, idempotency_key="x"
    )
    assert request.approvals_required == 1
    with marketplace_config(wallets={"withdrawal_second_approval_sat": 100_000}, reload=["wallets"]):
        service = container.wallets.wallet_service()
        assert service.get_required_config()["withdrawal_second_approval_sat"] == 100_000
        with pytest.raises(WithdrawalError, match="needs 2 approvals"):
            service.approve_withdrawal(staff_user_id=fran.pk, withdrawal_id=request.withdrawal_id, txid="ab" * 32)
        assert container.wallets.wallet_queries().withdrawals_to_review()[0].approvals_required == 2
        service.approve_withdrawal(staff_user_id=fran.pk, withdrawal_id=request.withdrawal_id)
        assert (
            service.approve_withdrawal(
                staff_user_id=tess.pk, withdrawal_id=request.withdrawal_id, txid="ab" * 32
            ).status
            == "sent"
        )


def test_every_decision_is_audited_in_its_own_transaction(wallet_service, trio, make_user, fund):
    fran, tess, third = trio
    dave = make_user("dave")
    proposal = wallet_service.propose_deposit(
        staff_user_id=fran.pk, user_id=dave.pk, amount_sat=70_000, txid=fake_txid(), vout=0, client_ip="203.0.113.5"
    )
    with pytest.raises(RuntimeError), transaction.atomic():  # the caller's transaction fails afterwards
        wallet_service.confirm_deposit(staff_user_id=tess.pk, deposit_id=proposal.deposit_id, client_ip="2001:db8::1")
        raise RuntimeError("rolled back")
    assert not actions("wallets.deposit_confirmed") and available(dave) == 0  # act and record went together
    wallet_service.confirm_deposit(staff_user_id=tess.pk, deposit_id=proposal.deposit_id, client_ip="2001:db8::1")
    refused = wallet_service.propose_deposit(
        staff_user_id=fran.pk, user_id=dave.pk, amount_sat=1_000, txid=fake_txid(), vout=0, client_ip="not an ip"
    )
    wallet_service.reject_deposit(staff_user_id=third.pk, deposit_id=refused.deposit_id, reason="duplicate")
    with pytest.raises(PermissionDenied):
        wallet_service.reverse_entry(staff_user_id=dave.pk, entry_id=1, reason="no capability")
    entry_id = Deposit.objects.get(pk=proposal.deposit_id).entry_id
    wallet_service.reverse_entry(
        staff_user_id=third.pk, entry_id=entry_id, reason="sent by mistake", client_ip="10.0.0.9"
    )
    assert wallet_service.reverse_entry(staff_user_id=third.pk, entry_id=entry_id, reason="sent by mistake").replayed
    rows = list(StaffAction.objects.order_by("id"))
    assert [(r.actor_id, r.action, r.client_ip) for r in rows] == [
        (fran.pk, "wallets.deposit_proposed", "203.0.113.5"),
        (tess.pk, "wallets.deposit_confirmed", "2001:db8::1"),
        (fran.pk, "wallets.deposit_proposed", None),  # not an address: left out, never made up
        (third.pk, "wallets.deposit_rejected", None),
        (third.pk, "wallets.entry_reversed", "10.0.0.9"),
    ]
    assert rows[0].target == f"deposit #{proposal.deposit_id} {proposal.txid}:0"
    assert rows[0].detail == {
        "user_id": dave.pk,
        "amount_sat": 70_000,
        "txid": proposal.txid,
        "vout": 0,
        "check": "unchecked",
    }
    assert rows[1].detail["proposed_by"] == fran.pk and rows[1].detail["amount_sat"] == 70_000
    assert rows[4].detail["postings_sat"] == {f"user:{dave.pk}": -70_000, "asset:onchain": 70_000}
    assert available(dave) == 0 and Deposit.objects.get(pk=proposal.deposit_id).status == "reversed"


def test_nobody_reverses_an_entry_that_moved_their_own_money(wallet_service, trio, make_user, fund):
    fran, tess, _ = trio
    vendor = make_user("vendor")
    fund(fran, 100_000)
    paid = wallet_service.transfer(sender_id=fran.pk, recipient_id=vendor.pk, amount_sat=60_000, idempotency_key="p")
    with pytest.raises(PermissionDenied, match="your own money"):
        wallet_service.reverse_entry(staff_user_id=fran.pk, entry_id=paid.entry_id, reason="I want it back")
    with pytest.raises(WalletError, match="reason"):
        wallet_service.reverse_entry(staff_user_id=tess.pk, entry_id=paid.entry_id, reason="")
    assert (available(fran), available(vendor)) == (40_000, 60_000)
    wallet_service.reverse_entry(staff_user_id=tess.pk, entry_id=paid.entry_id, reason="paid the wrong shop")
    assert (available(fran), available(vendor)) == (100_000, 0)


def test_the_commands_propose_then_confirm(trio, make_user):
    fran, tess, _ = trio
    erin = make_user("erin")
    txid = fake_txid()
    out = io.StringIO()
    args = ["--user", "erin", "--amount-sat", "150000", "--txid", txid, "--vout", "2"]
    with pytest.raises(CommandError, match="--by"):
        call_command("record_deposit", *args, stdout=out)
    call_command("record_deposit", *args, "--by", "fran", stdout=out)
    proposal = Deposit.objects.get()
    assert proposal.status == "proposed" and available(erin) == 0
    assert f"deposit #{proposal.pk} {txid}:2 of 0.00150000 BTC to erin: proposed" in out.getvalue()
    assert "confirm_deposit --by USERNAME" in out.getvalue()
    for bad, message in (
        (["nope:2"], "64 hexadecimal"),
        ([f"{txid}:x"], "is not TXID:VOUT"),
        ([f"{txid}:3"], "No deposit recorded"),
        (["99999"], "No such deposit"),
        (["abc"], "No such deposit"),
    ):
        with pytest.raises(CommandError, match=message):
            call_command("confirm_deposit", *bad, "--by", "tess", stdout=out)
    with pytest.raises(CommandError, match="no user 'ghost'"):
        call_command("confirm_deposit", str(proposal.pk), "--by", "ghost", stdout=out)
    with pytest.raises(CommandError, match="You proposed this deposit"):
        call_command("confirm_deposit", f"{txid}:2", "--by", "fran", stdout=out)
    call_command("confirm_deposit", f"{txid}:2", "--by", "tess", stdout=out)
    assert "confirmed and credited" in out.getvalue() and available(erin) == 150_000
    call_command("confirm_deposit", str(proposal.pk), "--by", "tess", stdout=out)
    assert out.getvalue().rstrip().endswith("was already confirmed; nothing changed")
    with pytest.raises(CommandError, match="Only staff allowed"):
        call_command("record_deposit", *args[:-1], "7", "--by", "erin", stdout=out)
    assert available(erin) == 150_000


def test_the_user_hears_of_a_credited_deposit_after_commit(
    wallet_service, trio, make_user, django_capture_on_commit_callbacks
):
    from marketplace.notifications.models import Notification

    fran, tess, _ = trio
    gail = make_user("gail")
    proposal = wallet_service.propose_deposit(
        staff_user_id=fran.pk, user_id=gail.pk, amount_sat=250_000, txid=fake_txid(), vout=0
    )
    with django_capture_on_commit_callbacks(execute=False) as pending:
        wallet_service.confirm_deposit(staff_user_id=tess.pk, deposit_id=proposal.deposit_id)
    assert pending and not Notification.objects.exists()  # nothing before the commit
    with django_capture_on_commit_callbacks(execute=True):
        for callback in pending:
            callback()
    note = Notification.objects.get()
    assert (note.user_id, note.subject, note.link, note.topic) == (
        gail.pk,
        "Deposit of 0.00250000 BTC credited",
        "/wallets/",
        "wallets.deposit_credited",
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_confirmations_at_the_same_moment_credit_once(trio, make_user, container):
    fran, tess, third = trio
    racer = make_user("racer")
    service = container.wallets.wallet_service()
    rounds, expected = 25, 0
    for n in range(rounds):
        proposal = service.propose_deposit(
            staff_user_id=fran.pk, user_id=racer.pk, amount_sat=10_000 + n, txid=fake_txid(), vout=n % 3
        )
        outcomes = race(
            partial(service.confirm_deposit, staff_user_id=tess.pk, deposit_id=proposal.deposit_id),
            partial(service.confirm_deposit, staff_user_id=third.pk, deposit_id=proposal.deposit_id),
        )
        assert [kind for kind, _ in outcomes] == ["ok", "ok"], outcomes  # the later one is told, not failed
        assert sorted(result.replayed for _, result in outcomes) == [False, True]
        expected += 10_000 + n
        assert available(racer) == expected
    assert JournalEntry.objects.filter(kind="deposit").count() == rounds
    assert len(actions("wallets.deposit_confirmed")) == rounds
    assert Deposit.objects.filter(status="credited").count() == rounds


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_approvals_at_the_same_moment_never_send_without_two_people(trio, make_user, fund, container):
    fran, tess, third = trio
    owner = make_user("owner")
    fund(owner, 50_000_000)
    service = container.wallets.wallet_service()
    for n in range(15):
        big = service.request_withdrawal(
            user_id=owner.pk, address=OUTSIDE, amount_sat=2_000_000, idempotency_key=f"big-{n}"
        )
        # Both believe they are first: one approval is recorded, the other is told it is the last.
        outcomes = race(
            partial(service.approve_withdrawal, staff_user_id=fran.pk, withdrawal_id=big.withdrawal_id),
            partial(service.approve_withdrawal, staff_user_id=tess.pk, withdrawal_id=big.withdrawal_id),
        )
        kinds = sorted(kind for kind, _ in outcomes)
        assert kinds == ["ok", "refused"], outcomes
        refusal = next(value for kind, value in outcomes if kind == "refused")
        assert isinstance(refusal, WithdrawalError) and "last approval" in refusal.message
        assert Withdrawal.objects.get(pk=big.withdrawal_id).status == "pending"
        # Two last approvers at once: it is sent once, with one transaction id.
        first = WithdrawalApproval.objects.get(withdrawal_id=big.withdrawal_id).approver_id
        others = [u for u in (fran, tess, third) if u.pk != first]
        outcomes = race(
            *[
                partial(
                    service.approve_withdrawal, staff_user_id=u.pk, withdrawal_id=big.withdrawal_id, txid=f"{i}f" * 32
                )
                for i, u in enumerate(others)
            ]
        )
        assert sorted(kind for kind, _ in outcomes) == ["ok", "refused"], outcomes
        assert Withdrawal.objects.get(pk=big.withdrawal_id).status == "sent"
        assert WithdrawalApproval.objects.filter(withdrawal_id=big.withdrawal_id).count() == 2
    assert JournalEntry.objects.filter(kind="withdrawal_sent").count() == 15
