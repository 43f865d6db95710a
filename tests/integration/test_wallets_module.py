"""The wallets module: wiring, health, the audit command, the escrow extension point, reloads."""

import io
import json
import sys

import pytest
from django.core.management import call_command
from django.db import connection

from marketplace.wallets.models import Account
from modules import WalletsModule
from tests.support.wallets import fake_txid

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command(*args, stdout=out)
    except SystemExit as exc:
        return exc.code, out.getvalue()
    return 0, out.getvalue()


def corrupt_cached_balance(user, delta: int) -> None:
    """What a bug writing balances behind the ledger's back would do (the audit must see it)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE wallets_account SET balance_sat = balance_sat + %s WHERE user_id = %s AND kind = 'user'",
            [delta, user.pk],
        )


def test_module_metadata_and_dependencies(runtime):
    module = WalletsModule()
    assert (module.name, module.get_dependencies()) == ("wallets", ["accounts>=1.0"])
    assert runtime.modules.is_ready("wallets")
    assert runtime.modules.initialization_order().index("accounts") < runtime.modules.initialization_order().index(
        "wallets"
    )
    entry = runtime.services.get("wallet_service")
    assert (entry.module, entry.cls.__name__) == ("wallets", "WalletService")


def test_module_health_reports_the_ledger_and_key(runtime):
    health = WalletsModule().get_module_health()
    assert health["status"] == "UP"
    assert health["checks"]["ledger"]["detail"]["scope"] == "last 1000 entries"
    assert health["checks"]["deposit_key"]["detail"]["network"] == "regtest"


def test_ledger_audit_command_passes_then_fails_on_a_tampered_balance(make_user, fund):
    user = make_user()
    fund(user, 70_000)
    code, out = run("ledger_audit")
    assert code == 0 and "ledger audit (full): OK" in out
    corrupt_cached_balance(user, 5)
    code, out = run("ledger_audit")
    assert code == 1
    assert "[FAIL] cached_balances" in out and "[FAIL] ledger_sums_to_zero" in out
    code, out = run("ledger_audit", "--json")
    report = json.loads(out)
    assert code == 1 and report["ok"] is False
    failed = {c["name"]: c for c in report["checks"] if c["status"] == "violation"}
    assert failed["cached_balances"]["examples"] == [
        {"account": f"user:{user.pk}", "cached_sat": 70_005, "postings_sat": 70_000}
    ]
    health = WalletsModule().get_module_health()
    assert health["status"] == "DOWN" and "cached_balances" in health["checks"]["ledger"]["detail"]["error"]
    corrupt_cached_balance(user, -5)


def test_audit_sees_an_unbalanced_entry(make_user, fund, ledger_auditor):
    user = make_user()
    fund(user, 1_000)
    fees, _ = Account.objects.get_or_create(code="fees", defaults={"kind": "fees"})
    entry_id = fees.postings.model.objects.order_by("-id").values_list("entry_id", flat=True).first()
    with connection.cursor() as cursor:  # a posting slipped in by hand, behind the ledger's back
        cursor.execute(
            "INSERT INTO wallets_posting (entry_id, account_id, amount_sat) VALUES (%s, %s, 7)",
            [entry_id, fees.pk],
        )
    report = ledger_auditor.audit()
    names = {c.name for c in report.violations}
    assert names == {"entries_balanced", "cached_balances"}
    example = next(c for c in report.violations if c.name == "entries_balanced").examples[0]
    assert example["entry"] == entry_id and example["sum_sat"] == 7


def test_escrow_expectations_from_another_module(
    wallet_service, make_user, fund, ledger_auditor, container, escrow_expectations_alone
):
    buyer = make_user()
    fund(buyer, 100_000)
    wallet_service.hold(buyer_id=buyer.pk, order_ref="ORD-9", amount_sat=30_000, idempotency_key="o9")
    check = {c.name: c for c in ledger_auditor.audit().checks}["escrow_matches_orders"]
    assert check.status == "skipped" and "1 escrow(s) hold 30000 sat" in check.detail
    expectations = container.wallets.escrow_expectations()
    open_orders = {"ORD-9": 30_000}
    expectations.register(owner="orders", source=lambda: dict(open_orders))
    try:
        check = {c.name: c for c in ledger_auditor.audit().checks}["escrow_matches_orders"]
        assert check.status == "ok" and "checked by orders" in check.detail
        open_orders["ORD-9"] = 25_000  # the order says less than escrow holds
        open_orders["ORD-10"] = 1  # an order paid whose escrow is empty
        check = {c.name: c for c in ledger_auditor.audit().checks}["escrow_matches_orders"]
        assert check.status == "violation" and check.count == 2
        code, out = run("ledger_audit")
        assert code == 1 and "escrow_matches_orders" in out
        expectations.register(owner="orders", source=lambda: 1 / 0)
        check = {c.name: c for c in ledger_auditor.audit().checks}["escrow_matches_orders"]
        assert check.status == "violation" and "ZeroDivisionError" in check.detail
    finally:
        expectations.unregister(owner="orders")
    assert expectations.expected() is None


def test_a_reload_of_wallets_keeps_registered_expectations_and_swaps_services(
    runtime, container, escrow_expectations_alone
):
    expectations = container.wallets.escrow_expectations()
    expectations.register(owner="orders", source=dict)
    try:
        before = runtime.generation("wallets").number
        assert runtime.reload_module("wallets").ok
        assert runtime.generation("wallets").number > before
        reloaded = container.wallets.escrow_expectations()
        assert reloaded is not expectations and reloaded.owners() == ["orders"]
        service = container.wallets.wallet_service()
        assert isinstance(service, sys.modules["services.wallet_service"].WalletService)
        assert runtime.reload_service("wallet_service").ok
    finally:
        container.wallets.escrow_expectations().unregister(owner="orders")


def test_the_chain_backend_can_be_overridden_in_tests(container, wallet_service, make_user, make_staff):
    class FrozenChain:
        name = "frozen"

        def poll(self, *, since):
            raise AssertionError("not polled here")

        def verify_output(self, *, txid, vout, amount_sat, addresses):
            from services.chain_backends import OutputCheck

            return OutputCheck(OutputCheck.MISMATCH, "the frozen chain knows no outputs")

        def health(self):
            return {"backend": "frozen"}

    user, finance = make_user(), make_staff("finance")
    with container.wallets.chain.override(FrozenChain()):
        service = container.wallets.wallet_service()
        assert service.get_required_config()["chain_backend"] == "frozen"
        from services.errors import DepositError

        with pytest.raises(DepositError, match="frozen chain knows no outputs"):
            service.propose_deposit(staff_user_id=finance.pk, user_id=user.pk, amount_sat=1, txid=fake_txid(), vout=0)
    assert container.wallets.wallet_service().get_required_config()["chain_backend"] == "manual"


def test_a_bad_configuration_stops_the_module_and_the_old_one_keeps_serving(marketplace_config, runtime, container):
    from containers import ReloadFailed

    for bad in (
        {"xpub": "xpub-nonsense"},
        {"network": "moonnet"},
        {"chain_backend": "carrier-pigeon"},
    ):
        with marketplace_config(wallets=bad), pytest.raises(ReloadFailed):
            runtime.reload_module("wallets")
    assert runtime.modules.is_ready("wallets")
    assert container.wallets.wallet_service().get_required_config()["network"] == "regtest"


def test_demo_data_goes_through_four_eyes_and_is_idempotent(runtime, make_user, make_staff):
    from marketplace.wallets.models import Deposit, Withdrawal

    module = runtime.modules.get("wallets")
    for name in ("alice", "bob", "carol"):
        make_user(name)
    missing = module.load_demo_data()
    assert missing == [
        "demo deposits skipped: no user finance or treasurer to propose and confirm them "
        "(the accounts module's demo data makes them)"
    ]
    assert not Deposit.objects.exists()
    finance, treasurer = make_staff("finance", username="finance"), make_staff("finance", username="treasurer")
    first = module.load_demo_data()
    again = module.load_demo_data()
    assert sum("proposed by finance, confirmed by treasurer" in line for line in first) == 3
    replayed = [line for line in again if ": deposit of" in line]
    assert len(replayed) == 3 and all(line.endswith("already there") for line in replayed)
    credited = Deposit.objects.filter(status="credited")
    assert credited.count() == 3
    assert set(credited.values_list("recorded_by", "reviewed_by")) == {(finance.pk, treasurer.pk)}
    waiting = Deposit.objects.get(status="proposed")
    assert (waiting.user.username, waiting.recorded_by_id, waiting.entry_id) == ("bob", finance.pk, None)
    assert any(f"deposit #{waiting.pk}" in line and "waiting" in line for line in again)
    alice = Account.objects.get(user__username="alice", kind="user")
    assert alice.balance_sat == 5_000_000 - 250_000 - 2_000
    assert Withdrawal.objects.get().status == "pending"
    code, _ = run("ledger_audit")
    assert code == 0


def test_deploy_check_refuses_the_test_key_on_mainnet(settings):
    from marketplace.wallets.checks import deposit_key_is_not_the_test_vector

    assert deposit_key_is_not_the_test_vector(None) == []  # regtest by default
    settings.MARKETPLACE = {
        **settings.MARKETPLACE,
        "wallets": {**settings.MARKETPLACE["wallets"], "network": "mainnet"},
    }
    assert [m.id for m in deposit_key_is_not_the_test_vector(None)] == ["wallets.E001"]
