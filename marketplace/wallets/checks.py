"""``manage.py check --deploy``: a mainnet marketplace must not take deposits to the public test key."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

BIP84_TEST_VECTOR_PREFIX = "zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1"


@register(Tags.security, deploy=True)
def deposit_key_is_not_the_test_vector(app_configs, **kwargs):
    wallets = (getattr(settings, "MARKETPLACE", {}) or {}).get("wallets") or {}
    network = str(wallets.get("network", "")).lower()
    xpub = str(wallets.get("xpub", ""))
    problems = []
    if xpub.startswith(BIP84_TEST_VECTOR_PREFIX) and network in ("main", "mainnet"):
        problems.append(
            Error(
                "MARKETPLACE_WALLET_XPUB is the public BIP84 test vector on mainnet: anyone can spend deposits.",
                hint="Set MARKETPLACE_WALLET_XPUB to the account xpub/zpub of the marketplace's own wallet.",
                id="wallets.E001",
            )
        )
    if (
        wallets.get("chain_backend") == "bitcoin_core"
        and str(wallets.get("bitcoin_rpc", {}).get("url", "")).startswith("http://")
        and not str(wallets.get("bitcoin_rpc", {}).get("url", "")).startswith(
            ("http://127.", "http://localhost", "http://[::1]")
        )
    ):
        problems.append(
            Warning(
                "BITCOIN_RPC_URL is plain HTTP to another host: the node's credentials cross the network in clear.",
                hint="Reach the node over localhost, a private tunnel or TLS.",
                id="wallets.W001",
            )
        )
    return problems
