"""Deposit proposals on the bitcoin_core backend: checked against the node before anyone confirms.

The node is the fake bitcoind (a real HTTP server answering ``gettransaction`` as Bitcoin Core
does); the wallets module is reloaded onto it by the ``bitcoin_core_backend`` fixture.
"""

import pytest

from marketplace.wallets.models import Account, Deposit, JournalEntry
from services.errors import ChainBackendError, DepositError

pytestmark = [pytest.mark.django_db]


@pytest.fixture(autouse=True)
def ledger_stays_clean(ledger_auditor):
    yield
    from containers import container

    report = container.wallets.ledger_auditor().audit()
    assert report.ok, [(c.name, c.detail, c.examples) for c in report.violations]


@pytest.fixture
def pair(make_staff):
    return make_staff("finance", username="fran"), make_staff("finance", username="tess")


def available(user) -> int:
    return Account.objects.filter(code=f"user:{user.pk}").values_list("balance_sat", flat=True).first() or 0


def test_a_proposal_must_match_the_node_and_wait_for_its_confirmations(
    bitcoin_core_backend, wallet_service, make_user, pair
):
    node, (fran, tess) = bitcoin_core_backend, pair
    alice, bob = make_user("alice"), make_user("bob")
    address = wallet_service.current_deposit_address(user_id=alice.pk).address
    wallet_service.current_deposit_address(user_id=bob.pk)
    needed = wallet_service.deposit_confirmations
    entry = node.receive(address=address, sats=300_000, confirmations=1, vout=1)
    txid = entry["txid"]

    def propose(**changes):
        asked = {"staff_user_id": fran.pk, "user_id": alice.pk, "amount_sat": 300_000, "txid": txid, "vout": 1}
        return wallet_service.propose_deposit(**{**asked, **changes})

    for changes, message in (
        ({"amount_sat": 299_999}, "pays 0.00300000 BTC, not 0.00299999 BTC"),
        ({"vout": 0}, "Output 0 of that transaction pays none of the marketplace's addresses"),
        ({"user_id": bob.pk}, "which is not a deposit address of this user"),
        ({"txid": "ab" * 32}, "knows no transaction"),
    ):
        with pytest.raises(DepositError, match=message):
            propose(**changes)
    assert not Deposit.objects.exists()  # a refused proposal leaves nothing behind

    proposal = propose()
    assert (proposal.status, proposal.check_status) == ("proposed", "waiting")
    assert proposal.check_detail == f"1 of the {needed} confirmations needed."
    with pytest.raises(DepositError, match=f"Not confirmed: 1 of the {needed} confirmations needed"):
        wallet_service.confirm_deposit(staff_user_id=tess.pk, deposit_id=proposal.deposit_id)
    assert available(alice) == 0 and Deposit.objects.get().status == "proposed"
    node.confirm(entry, -1)  # double-spent meanwhile
    with pytest.raises(DepositError, match="double-spent"):
        wallet_service.confirm_deposit(staff_user_id=tess.pk, deposit_id=proposal.deposit_id)
    assert Deposit.objects.get().check_status == "mismatch"  # what the node said, for the finance page
    node.fail_with = (500, -28, "Loading wallet...")
    with pytest.raises(ChainBackendError, match="Loading wallet"):
        wallet_service.confirm_deposit(staff_user_id=tess.pk, deposit_id=proposal.deposit_id)
    node.fail_with = None
    node.confirm(entry, needed)
    credited = wallet_service.confirm_deposit(staff_user_id=tess.pk, deposit_id=proposal.deposit_id)
    assert (credited.status, credited.check_status) == ("credited", "ok")
    assert available(alice) == 300_000
    assert Deposit.objects.get().check_detail == f"Pays 0.00300000 BTC to {address}, {needed} confirmations."
    # The scanner sees the same output later: already credited, credited once.
    assert wallet_service.scan_deposits().credited == 0
    assert available(alice) == 300_000 and JournalEntry.objects.filter(kind="deposit").count() == 1


def test_the_node_takes_over_a_matching_proposal_and_overrules_a_wrong_one(
    bitcoin_core_backend, wallet_service, make_user, pair
):
    node, (fran, _) = bitcoin_core_backend, pair
    carol = make_user("carol")
    address = wallet_service.current_deposit_address(user_id=carol.pk).address
    good = node.receive(address=address, sats=50_000, confirmations=1, vout=0)
    changed = node.receive(address=address, sats=70_000, confirmations=1, vout=1, txid=good["txid"])
    for vout, sats in ((0, 50_000), (1, 70_000)):
        wallet_service.propose_deposit(
            staff_user_id=fran.pk, user_id=carol.pk, amount_sat=sats, txid=good["txid"], vout=vout
        )
    changed["amount"] = 71_000  # what the node reports now differs from what staff proposed
    for entry in (good, changed):
        node.confirm(entry, wallet_service.deposit_confirmations)
    report = wallet_service.scan_deposits()
    assert report.credited == 2 and available(carol) == 121_000
    rows = sorted(Deposit.objects.values_list("vout", "amount_sat", "status", "recorded_by"))
    assert rows == [
        (0, 50_000, "credited", fran.pk),  # the proposal, credited by the node
        (1, 70_000, "rejected", fran.pk),  # overruled, and out of the way of the node's record
        (1, 71_000, "credited", None),
    ]
    assert Deposit.objects.get(vout=1, status="rejected").note.startswith("The node reports this output")


def test_the_finance_page_shows_the_node_check(bitcoin_core_backend, wallet_service, make_user, pair, staff_client_for):
    node, (fran, tess) = bitcoin_core_backend, pair
    dave = make_user("dave")
    address = wallet_service.current_deposit_address(user_id=dave.pk).address
    entry = node.receive(address=address, sats=10_000, confirmations=2)
    wallet_service.propose_deposit(
        staff_user_id=fran.pk, user_id=dave.pk, amount_sat=10_000, txid=entry["txid"], vout=0
    )
    html = staff_client_for(tess).get("/wallets/finance/").content.decode()
    assert "checked against the bitcoin node (bitcoin_core)" in html
    assert "Too few confirmations yet" in html and "2 of the 3 confirmations needed." in html
    assert "has no bitcoin node to check these" not in html
