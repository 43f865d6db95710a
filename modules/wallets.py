"""Wallets: a custodial double-entry bitcoin ledger, deposit addresses, withdrawals, escrow."""

import hashlib

from dependency_injector import containers, providers
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy
from modkit import BaseModule, NavEntry, module

from services.bitcoin_addresses import DepositKey
from services.bitcoin_rpc import BitcoinRpcClient
from services.chain_backends import BitcoinCoreChain, ManualChain
from services.errors import ServiceError
from services.escrow_expectations import EscrowExpectations
from services.ledger import Ledger
from services.ledger_audit import LedgerAuditor
from services.wallet_queries import WalletQueries
from services.wallet_service import WalletService

CHAIN_BACKENDS = ("manual", "bitcoin_core")
DEMO_DEPOSITS = {"alice": 5_000_000, "bob": 2_000_000, "carol": 2_000_000}
DEMO_PROPOSAL = ("bob", 750_000)  # left unconfirmed: the finance page shows the workflow
DEMO_WITHDRAWAL = ("alice", 250_000)
DEMO_PROPOSER, DEMO_CONFIRMER = "finance", "treasurer"


class WalletsContainer(containers.DeclarativeContainer):
    config = providers.Configuration()
    core = providers.DependenciesContainer()
    accounts = providers.DependenciesContainer()

    deposit_key = providers.ThreadSafeSingleton(DepositKey, xpub=config.xpub, network=config.network)
    bitcoin_rpc = providers.ThreadSafeSingleton(
        BitcoinRpcClient,
        url=config.bitcoin_rpc.url,
        wallet=config.bitcoin_rpc.wallet,
        user=config.bitcoin_rpc.user,
        password=config.bitcoin_rpc.password,
        cookie_file=config.bitcoin_rpc.cookie_file,
        timeout_seconds=config.bitcoin_rpc.timeout_seconds.as_float(),
    )
    # What the marketplace learns deposits from; outside our walls, so tests may override it.
    chain = providers.Selector(
        config.chain_backend,
        manual=providers.ThreadSafeSingleton(ManualChain),
        bitcoin_core=providers.ThreadSafeSingleton(
            BitcoinCoreChain, rpc=bitcoin_rpc, confirmations=config.deposit_confirmations.as_int()
        ),
    )
    # Other modules register "expected escrow per open order" here (see EscrowExpectations).
    escrow_expectations = providers.ThreadSafeSingleton(EscrowExpectations)

    ledger = providers.Factory(Ledger, clock=core.clock, people=core.personal_parts)
    wallet_service = providers.Factory(
        WalletService,
        ledger=ledger,
        chain=chain,
        deposit_key=deposit_key,
        events=core.events,
        clock=core.clock,
        staff_access=core.staff_access,
        staff_audit=core.staff_audit,
        network=config.network,
        deposit_confirmations=config.deposit_confirmations.as_int(),
        withdrawal_min_sat=config.withdrawal_min_sat.as_int(),
        withdrawal_fee_sat=config.withdrawal_fee_sat.as_int(),
        withdrawal_second_approval_sat=config.withdrawal_second_approval_sat.as_int(),
    )
    wallet_queries = providers.Factory(
        WalletQueries,
        history_page_size=config.history_page_size.as_int(),
        withdrawal_second_approval_sat=config.withdrawal_second_approval_sat.as_int(),
    )
    ledger_auditor = providers.Factory(LedgerAuditor, expectations=escrow_expectations)


@module(
    name="wallets",
    version="1.0.0",
    description="Bitcoin balances in satoshis: double-entry ledger, deposits, withdrawals, escrow",
    author="Marketplace team",
    dependencies=["accounts>=1.0"],
)
class WalletsModule(BaseModule):
    container_class = WalletsContainer
    apps = ("marketplace.wallets",)
    # One poll of the chain backend a minute, by the task queue's scheduler (safe to repeat).
    tasks = {"scan_deposits": "wallet_service.scan_deposits"}
    schedule = {"scan_deposits": 60}
    publishes = {
        "wallets.deposit_credited": "user_id, amount_sat, deposit_id",
        "wallets.withdrawal_requested": "user_id, withdrawal_id",
        "wallets.withdrawal_sent": "user_id, withdrawal_id",
        "wallets.withdrawal_rejected": "user_id, withdrawal_id",
        "wallets.withdrawal_cancelled": "user_id, withdrawal_id",
    }
    urls = "marketplace.wallets.urls"
    url_prefix = "wallets/"
    page_parts = {"site.home_glance": "wallets/_home_balance.html"}  # the balance, on a signed-in home page
    nav = (
        NavEntry(
            gettext_lazy("Your wallet"),
            "wallets:wallet",
            signed_in=True,
            order=50,
            template="wallets/_nav_balance.html",
        ),
        NavEntry(
            gettext_lazy("Finance"),
            "wallets:finance",
            menu="staff",
            permissions=("accounts.handle_deposits", "accounts.handle_withdrawals", "accounts.audit_ledger"),
            order=30,
        ),
        NavEntry(
            gettext_lazy("Withdrawals"),
            "wallets:queue",
            menu="staff",
            permissions=("accounts.handle_withdrawals",),
            order=40,
        ),
    )
    wire = (
        "marketplace.wallets.views",
        "marketplace.wallets.finance_views",
        "marketplace.wallets.context_processors",
        "marketplace.wallets.api",
    )
    api = "marketplace.wallets.api:router"  # mounted by the api module when it is enabled

    def initialize(self) -> bool:
        backend = self.container.config.chain_backend()
        if backend not in CHAIN_BACKENDS:
            raise ValueError(f"wallets.chain_backend must be one of {', '.join(CHAIN_BACKENDS)}, not {backend!r}")
        # Builds the deposit key (a bad xpub or network stops the module here) and the backend.
        self.container.wallet_service().get_required_config()
        self.container.ledger_auditor().audit(recent=1)  # our tables exist and answer
        # A reload builds a new registry: keep what other modules registered with the one in
        # force (the generation being replaced, not the application's provider: during a reload
        # that one already answers with the generation on trial in this thread).
        if self.replacing is not None:
            self.container.escrow_expectations().adopt(self.replacing.escrow_expectations())
        live = self.live
        self.container.core.health_service().add_check(
            "wallets.chain_backend", lambda: live.chain().health(), critical=False
        )
        return True

    def health_checks(self):
        return {
            "ledger": self._recent_ledger_audit,
            "deposit_key": lambda: self.container.deposit_key().describe(),
        }

    def _recent_ledger_audit(self) -> dict:
        report = self.container.ledger_auditor().audit(recent=1000)
        if not report.ok:
            problems = "; ".join(f"{c.name}: {c.detail}" for c in report.violations)
            raise RuntimeError(f"ledger audit found violations: {problems}")
        return {"scope": report.scope, "checks": {c.name: c.status for c in report.checks}}

    def load_demo_data(self) -> list[str]:
        """Demo balances through four eyes: ``finance`` proposes, ``treasurer`` confirms (both
        made by the accounts module's demo data); one proposal is left for the finance page."""
        service = self.container.wallet_service()
        if not service.get_required_config()["chain_backend"] == "manual":
            return ["demo deposits skipped: on bitcoin_core they must be real outputs the node can confirm"]
        User = get_user_model()
        wanted = [*DEMO_DEPOSITS, DEMO_PROPOSER, DEMO_CONFIRMER]
        users = {u.username: u for u in User.objects.filter(username__in=wanted)}
        proposer, confirmer = users.get(DEMO_PROPOSER), users.get(DEMO_CONFIRMER)
        if proposer is None or confirmer is None:
            missing = [name for name in (DEMO_PROPOSER, DEMO_CONFIRMER) if name not in users]
            return [
                f"demo deposits skipped: no user {' or '.join(missing)} to propose and confirm them "
                f"(the accounts module's demo data makes them)"
            ]
        try:
            lines = self._demo_deposits(service, users, proposer, confirmer)
        except ServiceError as error:
            return [f"demo deposits stopped: {error.message}"]
        username, amount = DEMO_WITHDRAWAL
        if username in users and service.network != "main":
            try:
                result = service.request_withdrawal(
                    user_id=users[username].pk,
                    address=_demo_destination(service.network),
                    amount_sat=amount,
                    idempotency_key="demo-withdrawal-1",
                )
            except ServiceError as error:
                lines.append(f"{username}: no demo withdrawal ({error.message})")
            else:
                lines.append(f"{username}: withdrawal #{result.withdrawal_id} waiting on the finance page")
        return lines

    @staticmethod
    def _demo_deposits(service, users, proposer, confirmer) -> list[str]:
        lines = []
        for username, amount in DEMO_DEPOSITS.items():
            user = users.get(username)
            if user is None:
                continue
            proposed = service.propose_deposit(
                staff_user_id=proposer.pk, user_id=user.pk, amount_sat=amount, txid=_demo_txid(username), vout=0
            )
            confirmed = service.confirm_deposit(staff_user_id=confirmer.pk, deposit_id=proposed.deposit_id)
            service.current_deposit_address(user_id=user.pk)
            outcome = "already there" if confirmed.replayed else f"proposed by {proposer}, confirmed by {confirmer}"
            lines.append(f"{username}: deposit of {amount} sat {outcome}")
        username, amount = DEMO_PROPOSAL
        if username in users:
            waiting = service.propose_deposit(
                staff_user_id=proposer.pk,
                user_id=users[username].pk,
                amount_sat=amount,
                txid=_demo_txid(f"{username}, waiting"),
                vout=1,
            )
            lines.append(
                f"{username}: deposit #{waiting.deposit_id} of {amount} sat proposed by {proposer}, "
                f"waiting for a second person on the finance page ({waiting.status})"
            )
        return lines


def _demo_txid(label: str) -> str:
    return hashlib.sha256(f"marketplace demo deposit for {label}".encode()).hexdigest()


def _demo_destination(network: str) -> str:
    """An outside address for the demo withdrawal: P2WPKH of the secp256k1 generator point."""
    from embit.ec import PublicKey
    from embit.networks import NETWORKS
    from embit.script import p2wpkh

    from services.bitcoin_addresses import network_key

    generator = PublicKey.parse(bytes.fromhex("0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"))
    return p2wpkh(generator).address(NETWORKS[network_key(network)])
