"""The bitcoin_core chain backend against a local HTTP server answering as bitcoind does."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from marketplace.wallets.models import Account, ChainCursor, Deposit, DepositAddress
from services.bitcoin_rpc import BitcoinRpcClient
from services.chain_backends import btc_to_sat
from services.errors import ChainBackendError, DepositError

pytestmark = pytest.mark.django_db


def balance(user):
    return Account.objects.filter(user=user, kind="user").values_list("balance_sat", flat=True).first() or 0


def test_rpc_client_speaks_json_rpc_with_basic_auth_and_decimal_amounts(bitcoind):
    bitcoind.receive(address="bcrt1qexample", sats=123_456_789, confirmations=1)
    client = BitcoinRpcClient(url=bitcoind.url, wallet=bitcoind.wallet, user=bitcoind.user, password=bitcoind.password)
    result = client.call("listsinceblock", None, 3, True, True)
    amount = result["transactions"][0]["amount"]
    assert isinstance(amount, Decimal) and amount == Decimal("1.23456789")
    path, method, params = bitcoind.calls[-1]
    assert (path, method, params) == (
        "/wallet/marketplace-deposits",
        "listsinceblock",
        [None, 3, True, True],
    )
    assert client.call("getblockchaininfo", wallet=False)["chain"] == "regtest"
    assert bitcoind.calls[-1][0] == "/"


def test_rpc_errors_are_clear_and_never_leak_the_password(bitcoind):
    wrong = BitcoinRpcClient(url=bitcoind.url, wallet=bitcoind.wallet, user="rpcuser", password="wrong-secret")
    with pytest.raises(ChainBackendError, match="refused our credentials") as caught:
        wrong.call("getwalletinfo")
    assert "wrong-secret" not in str(caught.value)
    missing = BitcoinRpcClient(url=bitcoind.url, wallet="nope", user=bitcoind.user, password=bitcoind.password)
    with pytest.raises(ChainBackendError, match="Requested wallet does not exist"):
        missing.call("getwalletinfo")
    right = BitcoinRpcClient(url=bitcoind.url, wallet=bitcoind.wallet, user=bitcoind.user, password=bitcoind.password)
    with pytest.raises(ChainBackendError, match="Method not found"):
        right.call("nosuchmethod")
    bitcoind.fail_with = (500, -28, "Loading block index...")
    with pytest.raises(ChainBackendError, match="Loading block index"):
        right.call("getwalletinfo")
    embedded = BitcoinRpcClient(url=f"http://u:hunter2@127.0.0.1:{_free_port()}", timeout_seconds=2)
    with pytest.raises(ChainBackendError, match="cannot reach") as caught:
        embedded.call("getblockchaininfo")
    assert "hunter2" not in str(caught.value)


def test_cookie_file_authentication(bitcoind, tmp_path):
    cookie = tmp_path / ".cookie"
    cookie.write_text(f"{bitcoind.user}:{bitcoind.password}")
    client = BitcoinRpcClient(url=bitcoind.url, wallet=bitcoind.wallet, cookie_file=str(cookie))
    assert client.call("getwalletinfo")["walletname"] == bitcoind.wallet


@pytest.mark.parametrize(
    "value, sats",
    [
        (Decimal("0.00000001"), 1),
        (Decimal("1.5"), 150_000_000),
        (Decimal("21000000"), 21_000_000 * 10**8),
        (Decimal("0.000000001"), None),
        (Decimal("-1"), None),
        (Decimal("0"), None),
        (Decimal("NaN"), None),
        (Decimal("21000000.00000001"), None),
        (1.5, None),
        (True, None),
        (None, None),
        ("abc", None),
    ],
)
def test_amounts_are_exact_or_refused(value, sats):
    assert btc_to_sat(value) == sats


def test_pending_then_credited_at_the_configured_confirmations(
    bitcoin_core_backend, wallet_service, make_user, ledger_auditor
):
    node = bitcoin_core_backend
    user = make_user()
    address = wallet_service.current_deposit_address(user_id=user.pk).address
    needed = wallet_service.deposit_confirmations
    entry = node.receive(address=address, sats=250_000, confirmations=0)
    report = wallet_service.scan_deposits()
    assert (report.credited, report.pending) == (0, 1)
    assert balance(user) == 0 and Deposit.objects.get().status == "pending"
    # the node's cursor is fed back at the next poll
    assert ChainCursor.objects.get(backend="bitcoin_core").last_block == node.last_block
    node.confirm(entry, needed - 1)
    node.last_block = "ab" * 32
    assert wallet_service.scan_deposits().pending == 1
    assert node.calls[-1][2][0] == "0f" * 32  # listsinceblock from the previous lastblock
    node.confirm(entry, needed)
    report = wallet_service.scan_deposits()
    assert report.credited == 1 and balance(user) == 250_000
    # seen again at every later poll: credited once
    node.confirm(entry, needed + 5)
    assert wallet_service.scan_deposits().credited == 0
    assert balance(user) == 250_000
    deposit = Deposit.objects.get()
    assert (deposit.status, deposit.confirmations, deposit.source) == (
        "credited",
        needed + 5,
        "bitcoin_core",
    )
    # the address is used now: the user is shown a fresh one
    assert wallet_service.current_deposit_address(user_id=user.pk).address != address
    assert ledger_auditor.audit().ok


def test_a_reorg_undoes_a_pending_deposit_and_flags_a_credited_one(bitcoin_core_backend, wallet_service, make_user):
    node = bitcoin_core_backend
    user = make_user()
    address = wallet_service.current_deposit_address(user_id=user.pk).address
    pending = node.receive(address=address, sats=10_000, confirmations=1, vout=0)
    credited = node.receive(address=address, sats=20_000, confirmations=6, vout=1)
    wallet_service.scan_deposits()
    assert balance(user) == 20_000
    node.transactions = []
    node.removed = [pending, credited]
    report = wallet_service.scan_deposits()
    assert report.removed == 1 and len(report.needs_review) == 1
    statuses = dict(Deposit.objects.values_list("vout", "status"))
    assert statuses == {0: "removed", 1: "credited"}
    assert balance(user) == 20_000  # never silently taken back: staff review it
    with pytest.raises(CommandError, match="removed from the chain"):
        call_command("scan_deposits")
    # mined again in the new chain: pending again, then credited
    node.removed = []
    node.transactions = [pending]
    node.confirm(pending, 6)
    wallet_service.scan_deposits()
    assert balance(user) == 30_000


def test_conflicted_outputs_are_dropped_and_foreign_addresses_ignored(bitcoin_core_backend, wallet_service, make_user):
    node = bitcoin_core_backend
    user = make_user()
    address = wallet_service.current_deposit_address(user_id=user.pk).address
    entry = node.receive(address=address, sats=10_000, confirmations=0)
    wallet_service.scan_deposits()
    node.confirm(entry, -2)  # double-spent by a transaction that was mined
    node.receive(address="bcrt1qnotoursxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", sats=5, confirmations=9)
    report = wallet_service.scan_deposits()
    assert (report.removed, report.ignored) == (1, 1)
    assert Deposit.objects.get().status == "removed" and balance(user) == 0


def test_malformed_entries_are_skipped_not_credited(bitcoin_core_backend, wallet_service, make_user):
    node = bitcoin_core_backend
    user = make_user()
    address = wallet_service.current_deposit_address(user_id=user.pk).address
    node.receive(address=address, sats=10_000, confirmations=9)["txid"] = "nothex"
    bad_amount = node.receive(address=address, sats=10_000, confirmations=9, vout=3)
    bad_amount["amount"] = -5
    node.receive(address=address, sats=10_000, confirmations=9, vout=4)["category"] = "immature"
    report = wallet_service.scan_deposits()
    assert report.credited == 0 and len(report.skipped) == 3
    assert not Deposit.objects.exists()


def test_a_changed_amount_for_a_known_output_is_refused(bitcoin_core_backend, wallet_service, make_user):
    node = bitcoin_core_backend
    user = make_user()
    address = wallet_service.current_deposit_address(user_id=user.pk).address
    entry = node.receive(address=address, sats=10_000, confirmations=0)
    wallet_service.scan_deposits()
    entry["amount"] = 99_999
    with pytest.raises(DepositError, match="another amount"):
        wallet_service.scan_deposits()
    assert Deposit.objects.get().amount_sat == 10_000


def test_verify_output_asks_gettransaction_of_the_watch_only_wallet(
    bitcoin_core_backend, container, wallet_service, make_user
):
    from services.chain_backends import OutputCheck

    node = bitcoin_core_backend
    chain = container.wallets.chain()
    address = wallet_service.current_deposit_address(user_id=make_user().pk).address
    entry = node.receive(address=address, sats=40_000, confirmations=7, vout=2)
    node.receive(
        address="bcrt1qsomeoneelsexxxxxxxxxxxxxxxxxxxxxxxxxxx", sats=1, confirmations=7, vout=0, txid=entry["txid"]
    )
    check = chain.verify_output(txid=entry["txid"], vout=2, amount_sat=40_000, addresses=[address])
    assert (check.status, check.confirmations, check.passed) == (OutputCheck.OK, 7, True)
    assert node.calls[-1] == ("/wallet/marketplace-deposits", "gettransaction", [entry["txid"], True, False])
    unknown = chain.verify_output(txid="ab" * 32, vout=0, amount_sat=1, addresses=[address])
    assert unknown.status == OutputCheck.MISMATCH and "knows no transaction" in unknown.detail
    node.fail_with = (500, -28, "Loading wallet...")
    with pytest.raises(ChainBackendError, match="Loading wallet"):  # not the same as "no such transaction"
        chain.verify_output(txid=entry["txid"], vout=2, amount_sat=40_000, addresses=[address])


def test_an_unreachable_node_fails_the_scan_and_moves_no_cursor(bitcoin_core_backend, wallet_service):
    bitcoin_core_backend.fail_with = (500, -28, "Verifying blocks...")
    with pytest.raises(ChainBackendError):
        wallet_service.scan_deposits()
    with pytest.raises(CommandError, match="Verifying blocks"):
        call_command("scan_deposits")
    assert ChainCursor.objects.filter(last_block__gt="").count() == 0


def test_chain_backend_shows_in_system_health_as_non_critical(bitcoin_core_backend, runtime):
    health = runtime.container.core.health_service()
    report = health._report(health._all_components())
    component = report["components"]["wallets.chain_backend"]
    assert component["status"] == "UP" and component["critical"] is False
    assert component["detail"]["chain"] == "regtest"
    bitcoin_core_backend.private_keys_enabled = True
    report = health._report(health._all_components())
    assert report["components"]["wallets.chain_backend"]["status"] == "DOWN"
    assert "watch-only" in report["components"]["wallets.chain_backend"]["detail"]["error"]
    assert report["status"] == "DEGRADED"  # the node is outside our walls: the shop still serves


def test_addresses_issued_match_the_descriptor_the_node_watches(wallet_service, make_user):
    from containers import container

    user = make_user()
    address = wallet_service.current_deposit_address(user_id=user.pk)
    key = container.wallets.deposit_key()
    assert key.address(address.index).address == address.address
    assert DepositAddress.objects.get(address=address.address).key_fingerprint == key.fingerprint


def _free_port() -> int:
    from tests.support.servers import free_port

    return free_port()
