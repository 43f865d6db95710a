"""The finance page (/wallets/finance/) through Django's test client, as finance staff use it."""

import pytest
from django.urls import reverse

from marketplace.accounts.models import StaffAction
from marketplace.wallets.models import Account, Deposit, JournalEntry, Withdrawal
from tests.support.wallets import fake_txid

pytestmark = [pytest.mark.django_db]

FINANCE = reverse("wallets:finance")
PROPOSE = reverse("wallets:propose-deposit")
OUTSIDE = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"


@pytest.fixture(autouse=True)
def ledger_stays_clean(ledger_auditor):
    yield
    report = ledger_auditor.audit()
    assert report.ok, [(c.name, c.detail, c.examples) for c in report.violations]


@pytest.fixture
def fran(make_staff):
    return make_staff("finance", username="fran")


@pytest.fixture
def tess(make_staff):
    return make_staff("finance", username="tess")


@pytest.fixture
def alice(make_user, fund):
    user = make_user("alice")
    fund(user, 3_000_000)
    return user


def confirm_url(deposit_id) -> str:
    return reverse("wallets:confirm-deposit", args=[deposit_id])


def reject_url(deposit_id) -> str:
    return reverse("wallets:reject-deposit", args=[deposit_id])


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def available(user) -> int:
    return Account.objects.filter(code=f"user:{user.pk}").values_list("balance_sat", flat=True).first() or 0


def money():
    return sorted(Account.objects.values_list("code", "balance_sat")), JournalEntry.objects.count()


def test_the_page_shows_proposals_withdrawals_and_staff_actions(
    fran, tess, alice, wallet_service, staff_client_for, django_assert_max_num_queries
):
    proposal = wallet_service.propose_deposit(
        staff_user_id=fran.pk, user_id=alice.pk, amount_sat=420_000, txid=fake_txid(), vout=5
    )
    big = wallet_service.request_withdrawal(
        user_id=alice.pk, address=OUTSIDE, amount_sat=1_500_000, idempotency_key="big"
    )
    wallet_service.approve_withdrawal(staff_user_id=fran.pk, withdrawal_id=big.withdrawal_id)
    client = staff_client_for(tess)
    with django_assert_max_num_queries(20):
        response = client.get(FINANCE)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="deposit-{proposal.deposit_id}"' in html and "0.00420000" in html and f"{proposal.txid}:5" in html
    assert "has no bitcoin node to check these" in html  # the manual backend says so
    assert reverse("wallets:confirm-deposit", args=[proposal.deposit_id]) in html
    assert f'id="withdrawal-{big.withdrawal_id}"' in html and "1 of 2" in html and "fran" in html
    assert 'name="txid"' in html.split(f'id="withdrawal-{big.withdrawal_id}"')[1]  # tess is the last approver
    assert 'id="staff-actions"' in html and "wallets.deposit_proposed" in html and "wallets.withdrawal_approved" in html
    assert reverse("wallets:queue") in html
    # The proposer sees no confirm button on their own proposal, nor an approve on what they approved.
    mine = staff_client_for(fran).get(FINANCE).content.decode()
    assert "You proposed it: someone else confirms." in mine
    assert "You approved it: the next approval is someone else's." in mine
    assert reverse("wallets:confirm-deposit", args=[proposal.deposit_id]) not in mine


def test_propose_then_confirm_from_the_page_with_messages_and_audit(fran, tess, make_user, staff_client_for):
    bob = make_user("bob")
    txid = fake_txid()
    proposer = staff_client_for(fran)
    proposed = proposer.post(
        PROPOSE, {"user": "bob", "amount": "0.015", "txid": txid, "vout": "0"}, REMOTE_ADDR="198.51.100.7", follow=True
    )
    assert proposed.redirect_chain == [(FINANCE, 302)]
    deposit = Deposit.objects.get()
    assert (deposit.status, deposit.amount_sat, deposit.recorded_by_id, available(bob)) == (
        "proposed",
        1_500_000,
        fran.pk,
        0,
    )
    assert messages_of(proposed) == [
        f"Deposit #{deposit.pk} of 0.01500000 BTC proposed; another member of staff must confirm it."
    ]
    own = proposer.post(confirm_url(deposit.pk), follow=True)
    assert own.redirect_chain == [(FINANCE, 302)]
    assert messages_of(own) == ["You proposed this deposit: another member of staff must confirm it."]
    assert available(bob) == 0
    confirmed = staff_client_for(tess).post(confirm_url(deposit.pk), REMOTE_ADDR="198.51.100.8", follow=True)
    assert confirmed.redirect_chain == [(FINANCE, 302)]
    assert messages_of(confirmed) == [f"Deposit #{deposit.pk} of 0.01500000 BTC confirmed and credited."]
    assert available(bob) == 1_500_000
    again = staff_client_for(tess).post(confirm_url(deposit.pk), follow=True)
    assert messages_of(again) == [f"Deposit #{deposit.pk} of 0.01500000 BTC was already confirmed."]
    assert available(bob) == 1_500_000
    rows = list(StaffAction.objects.order_by("id").values_list("actor", "action", "client_ip"))
    assert rows == [
        (fran.pk, "wallets.deposit_proposed", "198.51.100.7"),
        (tess.pk, "wallets.deposit_confirmed", "198.51.100.8"),
    ]


def test_reject_a_proposal_and_approve_in_two_steps_from_the_page(fran, tess, alice, wallet_service, staff_client_for):
    proposal = wallet_service.propose_deposit(
        staff_user_id=fran.pk, user_id=alice.pk, amount_sat=9_000, txid=fake_txid(), vout=0
    )
    client = staff_client_for(tess)
    empty = client.post(reject_url(proposal.deposit_id), {"reason": ""})
    assert empty.status_code == 400
    assert f"Deposit #{proposal.deposit_id}: Reason: This field is required." in " ".join(
        empty.content.decode().split()
    )
    rejected = client.post(reject_url(proposal.deposit_id), {"reason": "not on chain"}, follow=True)
    assert messages_of(rejected) == [f"Deposit #{proposal.deposit_id} rejected; nothing was credited."]
    assert Deposit.objects.get(pk=proposal.deposit_id).status == "rejected"

    big = wallet_service.request_withdrawal(
        user_id=alice.pk, address=OUTSIDE, amount_sat=2_000_000, idempotency_key="b"
    )
    approve = reverse("wallets:approve", args=[big.withdrawal_id])
    before = money()
    first = staff_client_for(fran).post(approve, {"txid": ""}, follow=True)
    assert messages_of(first) == [
        f"Withdrawal #{big.withdrawal_id} approved (1 of 2); another member of staff sends it."
    ]
    assert money() == before
    twice = staff_client_for(fran).post(approve, {"txid": "ab" * 32}, follow=True)
    assert twice.redirect_chain == [(FINANCE, 302)]
    assert messages_of(twice) == [
        "You already approved this withdrawal: the next approval must come from someone else."
    ]
    sent = client.post(approve, {"txid": "ab" * 32}, follow=True)
    assert messages_of(sent) == [f"Withdrawal #{big.withdrawal_id} marked as sent."]
    assert Withdrawal.objects.get().status == "sent"


def test_bad_input_is_a_400_with_the_form_error_and_changes_nothing(fran, alice, wallet_service, staff_client_for):
    client = staff_client_for(fran)
    good = {"user": "alice", "amount": "0.01", "txid": fake_txid(), "vout": "0"}
    before = money(), Deposit.objects.count(), StaffAction.objects.count()
    for field, value, message in (
        ("user", "nobody", "No active user with that username."),
        ("user", "", "This field is required."),
        ("amount", "abc", "Enter an amount in BTC"),
        ("amount", "0", "The smallest amount"),
        ("amount", "0.000000001", "at most 8 decimal places"),
        ("txid", "zz" * 32, "64 hexadecimal characters"),
        ("txid", "ab", "at least 64 characters"),
        ("vout", "-1", 'id="id_vout_error"'),  # the wording is marketplace.fields'; the field is flagged
        ("vout", "4294967296", 'id="id_vout_error"'),
        ("vout", "１", 'id="id_vout_error"'),
        ("vout", "1.0", 'id="id_vout_error"'),
    ):
        response = client.post(PROPOSE, {**good, field: value})
        assert response.status_code == 400, (field, value)
        assert message in response.content.decode(), (field, value, message)
    assert (money(), Deposit.objects.count(), StaffAction.objects.count()) == before
    assert client.post(confirm_url(987654)).status_code == 404
    assert client.post(reject_url(987654), {"reason": "x"}).status_code == 404
    assert client.post(reverse("wallets:approve", args=[987654]), {"txid": ""}).status_code == 404
    assert client.post(reverse("wallets:reject", args=[987654]), {"reason": "x"}).status_code == 404
    assert client.post("/wallets/finance/deposits/99999999999999999999999/confirm/").status_code == 404
    assert client.get(confirm_url(1)).status_code == 405  # decisions are POST only
    assert client.post(FINANCE).status_code == 405
    assert (money(), Deposit.objects.count(), StaffAction.objects.count()) == before


@pytest.mark.parametrize("role", ["support", "operator", "moderator"])
def test_staff_without_the_finance_capabilities_get_403(
    role, make_staff, fran, alice, wallet_service, staff_client_for
):
    proposal = wallet_service.propose_deposit(
        staff_user_id=fran.pk, user_id=alice.pk, amount_sat=5_000, txid=fake_txid(), vout=0
    )
    request = wallet_service.request_withdrawal(
        user_id=alice.pk, address=OUTSIDE, amount_sat=50_000, idempotency_key="r"
    )
    client = staff_client_for(make_staff(role))
    before = money()
    assert client.get(FINANCE).status_code == 403
    assert client.get(reverse("wallets:queue")).status_code == 403
    assert client.post(PROPOSE, {"user": "alice", "amount": "1", "txid": fake_txid(), "vout": "0"}).status_code == 403
    assert client.post(confirm_url(proposal.deposit_id)).status_code == 403
    assert client.post(reject_url(proposal.deposit_id), {"reason": "x"}).status_code == 403
    approve = reverse("wallets:approve", args=[request.withdrawal_id])
    assert client.post(approve, {"txid": "ab" * 32}).status_code == 403
    assert money() == before and Deposit.objects.get(pk=proposal.deposit_id).status == "proposed"


def test_visitors_sign_in_and_finance_staff_pass_their_second_factor_first(client, fran):
    for url in (FINANCE, PROPOSE, confirm_url(1)):
        response = client.get(url) if url == FINANCE else client.post(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url
    client.force_login(fran)  # signed in, second factor not done yet
    response = client.get(FINANCE)
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:two_factor"))
    assert not Deposit.objects.exists()


def test_the_admin_links_to_the_finance_page_and_records_nothing(fran, client):
    from django.contrib.auth import get_user_model

    boss = get_user_model().objects.create_superuser("boss", "boss@example.com", "a sturdy passphrase")
    from tests.support.staff import verified_client

    admin = verified_client(boss)
    listing = admin.get(reverse("admin:wallets_deposit_changelist"))
    assert listing.status_code == 200 and FINANCE in listing.content.decode()
    assert admin.get("/admin/wallets/deposit/record/").status_code in (302, 404)
    assert admin.get(reverse("admin:wallets_deposit_add")).status_code == 403
