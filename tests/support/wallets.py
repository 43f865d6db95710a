"""Wallets fixtures: services from the container, funded users, and a fake bitcoind.

The fake node is a real HTTP server on 127.0.0.1 answering JSON-RPC the way Bitcoin Core does
(shapes from its RPC help for ``listsinceblock``, ``gettransaction``, ``getblockchaininfo``,
``getwalletinfo``): amounts as JSON numbers with 8 decimals, errors as
``{"result": null, "error": {...}}`` with HTTP 500 (404 for an unknown method or wallet), 401
without a body for bad credentials.

Money comes in as it does in production, through four eyes: ``fund`` has one finance member
propose the deposit and another confirm it.
"""

import base64
import hashlib
import itertools
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

_txids = itertools.count(1)


def fake_txid(label: str = "") -> str:
    return hashlib.sha256(f"test tx {next(_txids)} {label}".encode()).hexdigest()


@pytest.fixture
def wallet_service(started_runtime):
    from containers import container

    return container.wallets.wallet_service()


@pytest.fixture
def wallet_queries(started_runtime):
    from containers import container

    return container.wallets.wallet_queries()


@pytest.fixture
def ledger_auditor(started_runtime):
    from containers import container

    return container.wallets.ledger_auditor()


@pytest.fixture
def escrow_expectations_alone(started_runtime):
    """The wallets' escrow-expectation registry with nobody registered (the orders module
    registers at start-up): for tests that hold escrow under references no order owns. What
    was registered is put back afterwards."""
    from containers import container
    from services.escrow_expectations import EscrowExpectations

    live = container.wallets.escrow_expectations()
    saved = EscrowExpectations()
    saved.adopt(live)
    for owner in saved.owners():
        live.unregister(owner=owner)
    yield live
    current = container.wallets.escrow_expectations()  # a new one if the test reloaded wallets
    for owner in current.owners():
        current.unregister(owner=owner)
    current.adopt(saved)


def credit(service, *, user_id: int, amount_sat: int, proposer_id: int, confirmer_id: int, txid: str | None = None):
    """A deposit proposed by one finance member and confirmed by another; the ``DepositResult``."""
    proposed = service.propose_deposit(
        staff_user_id=proposer_id,
        user_id=user_id,
        amount_sat=amount_sat,
        txid=txid or fake_txid(str(user_id)),
        vout=0,
    )
    return service.confirm_deposit(staff_user_id=confirmer_id, deposit_id=proposed.deposit_id)


def finance_pair(prefix: str = "funder") -> tuple:
    """Two users holding the finance role (made here, or found from an earlier call)."""
    from django.contrib.auth import get_user_model

    from containers import container

    User = get_user_model()
    pair = []
    for n in (1, 2):
        user, made = User.objects.get_or_create(username=f"{prefix}{n}", defaults={"email": f"{prefix}{n}@example.com"})
        if made:
            container.core.staff_access().set_roles(user_id=user.pk, roles=["finance"])
        pair.append(user)
    return tuple(pair)


@pytest.fixture
def fund(wallet_service, db):
    """``fund(user, sat)``: a deposit proposed and confirmed by two finance members; the result."""

    def deposit(user, amount_sat: int):
        proposer, confirmer = finance_pair()
        if user.pk == confirmer.pk:  # nobody confirms money for themselves
            proposer, confirmer = confirmer, proposer
        return credit(
            wallet_service,
            user_id=user.pk,
            amount_sat=amount_sat,
            proposer_id=proposer.pk,
            confirmer_id=confirmer.pk,
        )

    return deposit


@pytest.fixture
def staff_user(make_staff):
    """A finance member (approves withdrawals, reverses entries)."""
    return make_staff("finance", username="staffer")


def amount_json(sats: int) -> str:
    """How bitcoind prints an amount: a JSON number with exactly 8 decimals."""
    sign = "-" if sats < 0 else ""
    whole, fraction = divmod(abs(sats), 100_000_000)
    return f"{sign}{whole}.{fraction:08d}"


class FakeBitcoind:
    """What a watch-only descriptor wallet would answer; tests set ``transactions``/``removed``."""

    def __init__(
        self,
        *,
        user: str = "rpcuser",
        password: str = "rpc-secret",
        wallet: str = "marketplace-deposits",
    ):
        self.user, self.password, self.wallet = user, password, wallet
        self.transactions: list[dict] = []
        self.removed: list[dict] = []
        self.last_block = "0f" * 32
        self.private_keys_enabled = False
        self.calls: list[tuple[str, str, list]] = []
        self.fail_with: tuple[int, int, str] | None = None  # (http status, rpc code, message)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "FakeBitcoind":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def receive(self, *, address: str, sats: int, confirmations: int, txid: str | None = None, vout: int = 0) -> dict:
        entry = tx_entry(
            address=address,
            sats=sats,
            confirmations=confirmations,
            txid=txid or fake_txid(address),
            vout=vout,
        )
        self.transactions = [t for t in self.transactions if (t["txid"], t["vout"]) != (entry["txid"], entry["vout"])]
        self.transactions.append(entry)
        return entry

    def confirm(self, entry: dict, confirmations: int) -> None:
        entry["confirmations"] = confirmations
        if confirmations > 0:
            entry.setdefault("blockhash", "00" * 31 + "aa")
            entry.setdefault("blockheight", 800_000)

    def _handler(self):
        node = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                return

            def do_POST(self):
                expected = "Basic " + base64.b64encode(f"{node.user}:{node.password}".encode()).decode()
                if self.headers.get("Authorization") != expected:
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="jsonrpc"')
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                method, params, rid = (
                    request["method"],
                    request.get("params") or [],
                    request.get("id"),
                )
                node.calls.append((self.path, method, params))
                status, result, error = node._answer(self.path, method, params)
                body = json.dumps({"result": result, "error": error, "id": rid})
                # Amounts were left as "__amount__<digits>" strings: write them as JSON numbers.
                body = re.sub(r'"__amount__(-?[0-9.]+)"', r"\1", body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler

    def _answer(self, path: str, method: str, params: list):
        if self.fail_with:
            status, code, message = self.fail_with
            return status, None, {"code": code, "message": message}
        wallet_path = f"/wallet/{self.wallet}"
        if method == "getblockchaininfo":
            return (
                200,
                {
                    "chain": "regtest",
                    "blocks": 812,
                    "headers": 812,
                    "bestblockhash": "11" * 32,
                    "difficulty": 4.656542373906925e-10,
                    "time": 1700000000,
                    "mediantime": 1699999000,
                    "verificationprogress": 1,
                    "initialblockdownload": False,
                    "chainwork": "00" * 31 + "10",
                    "size_on_disk": 250000,
                    "pruned": False,
                    "warnings": [],
                },
                None,
            )
        if path != wallet_path:
            return (
                404,
                None,
                {"code": -18, "message": "Requested wallet does not exist or is not loaded"},
            )
        if method == "getwalletinfo":
            return (
                200,
                {
                    "walletname": self.wallet,
                    "walletversion": 169900,
                    "format": "sqlite",
                    "txcount": len(self.transactions),
                    "keypoolsize": 0,
                    "private_keys_enabled": self.private_keys_enabled,
                    "avoid_reuse": False,
                    "scanning": False,
                    "descriptors": True,
                    "external_signer": False,
                    "blank": False,
                    "birthtime": 1700000000,
                    "lastprocessedblock": {"hash": "11" * 32, "height": 812},
                },
                None,
            )
        if method == "gettransaction":
            entries = [t for t in self.transactions if params and t["txid"] == params[0]]
            if not entries:
                return 500, None, {"code": -5, "message": "Invalid or non-wallet transaction id"}
            return 200, _transaction(entries), None
        if method == "listsinceblock":
            return (
                200,
                {
                    "transactions": [_wire(t) for t in self.transactions],
                    "removed": [_wire(t) for t in self.removed],
                    "lastblock": self.last_block,
                },
                None,
            )
        return 404, None, {"code": -32601, "message": "Method not found"}


def tx_entry(
    *,
    address: str,
    sats: int,
    confirmations: int,
    txid: str,
    vout: int = 0,
    category: str = "receive",
) -> dict:
    entry = {
        "address": address,
        "parent_descs": ["wpkh(tpub.../0/*)#checksum"],
        "category": category,
        "amount": sats,
        "label": "",
        "vout": vout,
        "abandoned": False,
        "confirmations": confirmations,
        "txid": txid,
        "wtxid": hashlib.sha256(txid.encode()).hexdigest(),
        "walletconflicts": [],
        "mempoolconflicts": [],
        "time": 1700000000,
        "timereceived": 1700000000,
        "bip125-replaceable": "no",
    }
    if confirmations > 0:
        entry.update(blockhash="00" * 31 + "aa", blockheight=800_000, blockindex=1, blocktime=1700000000)
    else:
        entry["trusted"] = False
    return entry


def _transaction(entries: list[dict]) -> dict:
    """``gettransaction``: the transaction once, each output paying the wallet under ``details``."""
    first = entries[0]
    shown = {
        k: first[k]
        for k in (
            "confirmations",
            "txid",
            "wtxid",
            "walletconflicts",
            "mempoolconflicts",
            "time",
            "timereceived",
            "bip125-replaceable",
            "parent_descs",
        )
        if k in first
    }
    for key in ("blockhash", "blockheight", "blockindex", "blocktime", "trusted"):
        if key in first:
            shown[key] = first[key]
    details = [
        {
            "address": e["address"],
            "parent_descs": e["parent_descs"],
            "category": e["category"],
            "amount": f"__amount__{amount_json(e['amount'])}",
            "label": e["label"],
            "vout": e["vout"],
            "abandoned": e["abandoned"],
        }
        for e in entries
    ]
    total = sum(e["amount"] for e in entries if e["category"] == "receive")
    return {"amount": f"__amount__{amount_json(total)}", **shown, "details": details, "hex": "02000000" + "00" * 60}


def _wire(entry: dict) -> dict:
    return {**entry, "amount": f"__amount__{amount_json(entry['amount'])}"}


@pytest.fixture
def bitcoind():
    node = FakeBitcoind().start()
    yield node
    node.stop()


@pytest.fixture
def bitcoin_core_backend(marketplace_config, bitcoind):
    """The wallets module reloaded on the bitcoin_core backend, pointed at the fake node."""
    from django.conf import settings

    rpc = {
        **settings.MARKETPLACE["wallets"]["bitcoin_rpc"],
        "url": bitcoind.url,
        "user": bitcoind.user,
        "password": bitcoind.password,
        "wallet": bitcoind.wallet,
    }
    with marketplace_config(wallets={"chain_backend": "bitcoin_core", "bitcoin_rpc": rpc}, reload=["wallets"]):
        yield bitcoind


__all__ = [  # the fixtures tests/conftest.py imports
    "bitcoin_core_backend",
    "bitcoind",
    "escrow_expectations_alone",
    "fund",
    "ledger_auditor",
    "staff_user",
    "wallet_queries",
    "wallet_service",
]
