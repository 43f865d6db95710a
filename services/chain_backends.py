"""Chain backends: where deposits come from. Chosen by ``MARKETPLACE_CHAIN_BACKEND``.

A backend only *observes* the chain; ``WalletService`` decides what the ledger does with what it
saw. ``manual`` sees nothing by itself (staff propose deposits and a second person confirms
them, with nothing to check them against); ``bitcoin_core`` polls ``listsinceblock`` on a
watch-only descriptor wallet holding the marketplace's deposit key, and checks a deposit staff
propose against the same wallet's ``gettransaction`` before anyone can confirm it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from services.errors import ChainBackendError, ChainRpcError
from services.money import MAX_SATS, SATS_PER_BTC, format_btc

if TYPE_CHECKING:
    from services.bitcoin_rpc import BitcoinRpcClient

TXID = re.compile(r"^[0-9a-f]{64}$")
RPC_NO_SUCH_TRANSACTION = -5  # RPC_INVALID_ADDRESS_OR_KEY: "Invalid or non-wallet transaction id"


@dataclass(frozen=True)
class Observation:
    """One output paying one of our addresses, as the node sees it now."""

    txid: str
    vout: int
    address: str
    amount_sat: int
    confirmations: int


@dataclass(frozen=True)
class ChainScan:
    transactions: tuple[Observation, ...] = ()
    removed: tuple[Observation, ...] = ()
    last_block: str = ""
    skipped: tuple[str, ...] = field(default=())  # entries we do not credit, and why


@dataclass(frozen=True)
class OutputCheck:
    """What a backend says of one output a deposit proposal names (``Deposit.Check`` values)."""

    status: str  # unchecked | ok | waiting | mismatch
    detail: str
    confirmations: int | None = None

    UNCHECKED = "unchecked"
    OK = "ok"
    WAITING = "waiting"
    MISMATCH = "mismatch"

    @property
    def passed(self) -> bool:
        """Nothing against confirming it now (``unchecked``: nothing could be checked)."""
        return self.status in (self.OK, self.UNCHECKED)


class ManualChain:
    """Deposits are proposed by staff and confirmed by a second person; no node to ask."""

    name = "manual"

    def poll(self, *, since: str) -> ChainScan:
        return ChainScan(last_block=since)

    def verify_output(self, *, txid: str, vout: int, amount_sat: int, addresses) -> OutputCheck:
        return OutputCheck(
            OutputCheck.UNCHECKED,
            "The manual backend has no node to check against: confirm only an output you have "
            "seen on chain yourself (transaction, output, amount, the user's address).",
        )

    def health(self) -> dict:
        return {"backend": self.name, "detail": "deposits are recorded by staff"}


class BitcoinCoreChain:
    name = "bitcoin_core"

    def __init__(self, *, rpc: BitcoinRpcClient, confirmations: int):
        if confirmations < 1:
            raise ValueError("deposit confirmations must be at least 1")
        self._rpc = rpc
        self.confirmations = confirmations

    def poll(self, *, since: str) -> ChainScan:
        # target_confirmations=N keeps ``lastblock`` N-1 blocks behind the tip, so a deposit is
        # listed again at every poll until it has the confirmations we credit at.
        result = self._rpc.call("listsinceblock", since or None, self.confirmations, True, True)
        if not isinstance(result, dict) or not isinstance(result.get("transactions"), list):
            raise ChainBackendError("listsinceblock answered without a transactions list")
        last_block = result.get("lastblock")
        if not isinstance(last_block, str) or not re.fullmatch(r"[0-9a-f]{64}", last_block):
            raise ChainBackendError("listsinceblock answered without a valid lastblock")
        skipped: list[str] = []
        transactions = tuple(self._observations(result["transactions"], skipped))
        removed = tuple(self._observations(result.get("removed") or [], skipped))
        return ChainScan(
            transactions=transactions,
            removed=removed,
            last_block=last_block,
            skipped=tuple(skipped),
        )

    def health(self) -> dict:
        info = self._rpc.call("getblockchaininfo", wallet=False)
        wallet = self._rpc.call("getwalletinfo")
        if not isinstance(info, dict) or not isinstance(wallet, dict):
            raise ChainBackendError("the bitcoin node answered getblockchaininfo/getwalletinfo oddly")
        if wallet.get("private_keys_enabled"):
            raise ChainBackendError(
                f"wallet {wallet.get('walletname')!r} holds private keys: deposits need a watch-only wallet"
            )
        return {
            "backend": self.name,
            **self._rpc.describe(),
            "chain": info.get("chain"),
            "blocks": info.get("blocks"),
            "headers": info.get("headers"),
            "initial_block_download": info.get("initialblockdownload"),
            "descriptors": wallet.get("descriptors"),
            "confirmations_required": self.confirmations,
        }

    def verify_output(self, *, txid: str, vout: int, amount_sat: int, addresses) -> OutputCheck:
        """Does ``txid:vout`` pay ``amount_sat`` to one of ``addresses`` with enough confirmations?

        Asked of the watch-only wallet (``gettransaction``), which lists the outputs paying it:
        an output paying anyone else is not there at all.
        """
        try:
            tx = self._rpc.call("gettransaction", txid, True, False)
        except ChainRpcError as exc:
            if exc.rpc_code != RPC_NO_SUCH_TRANSACTION:
                raise
            return OutputCheck(OutputCheck.MISMATCH, f"The node's wallet knows no transaction {txid[:16]}….")
        if not isinstance(tx, dict) or not isinstance(tx.get("details"), list):
            raise ChainBackendError("gettransaction answered without a details list")
        confirmations = tx.get("confirmations")
        if isinstance(confirmations, bool) or not isinstance(confirmations, int):
            raise ChainBackendError("gettransaction answered without a number of confirmations")
        paid = [
            d for d in tx["details"] if isinstance(d, dict) and d.get("category") == "receive" and d.get("vout") == vout
        ]
        if not paid:
            return OutputCheck(
                OutputCheck.MISMATCH,
                f"Output {vout} of that transaction pays none of the marketplace's addresses.",
                confirmations,
            )
        address, sats = paid[0].get("address"), btc_to_sat(paid[0].get("amount"))
        if address not in set(addresses):
            return OutputCheck(
                OutputCheck.MISMATCH,
                f"Output {vout} pays {address}, which is not a deposit address of this user.",
                confirmations,
            )
        if sats != amount_sat:
            shown = format_btc(sats) if sats is not None else "an unreadable amount of"
            return OutputCheck(
                OutputCheck.MISMATCH,
                f"Output {vout} pays {shown} BTC, not {format_btc(amount_sat)} BTC.",
                confirmations,
            )
        if confirmations < 0:
            return OutputCheck(
                OutputCheck.MISMATCH,
                "The transaction conflicts with one in the chain (double-spent).",
                confirmations,
            )
        if confirmations < self.confirmations:
            return OutputCheck(
                OutputCheck.WAITING,
                f"{confirmations} of the {self.confirmations} confirmations needed.",
                confirmations,
            )
        return OutputCheck(
            OutputCheck.OK,
            f"Pays {format_btc(sats)} BTC to {address}, {confirmations} confirmations.",
            confirmations,
        )

    @staticmethod
    def _observations(entries, skipped: list[str]):
        for item in entries:
            if not isinstance(item, dict):
                skipped.append("an entry that is not an object")
                continue
            label = f"{item.get('txid')}:{item.get('vout')}"
            if item.get("category") != "receive":
                if item.get("category") != "send":
                    skipped.append(f"{label}: category {item.get('category')!r} is not a deposit")
                continue
            txid, vout, address = item.get("txid"), item.get("vout"), item.get("address")
            confirmations = item.get("confirmations")
            if not isinstance(txid, str) or not TXID.match(txid):
                skipped.append(f"{label}: malformed txid")
                continue
            if isinstance(vout, bool) or not isinstance(vout, int) or not 0 <= vout < 2**32:
                skipped.append(f"{label}: malformed vout")
                continue
            if not isinstance(address, str) or not address:
                skipped.append(f"{label}: no address")
                continue
            if isinstance(confirmations, bool) or not isinstance(confirmations, int):
                skipped.append(f"{label}: malformed confirmations")
                continue
            amount_sat = btc_to_sat(item.get("amount"))
            if amount_sat is None:
                skipped.append(f"{label}: malformed amount {item.get('amount')!r}")
                continue
            yield Observation(txid, vout, address, amount_sat, confirmations)


def btc_to_sat(value) -> int | None:
    """A JSON amount in BTC (parsed as Decimal) to satoshis; None unless exact, positive, sane."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        return None
    try:
        amount = Decimal(value) * SATS_PER_BTC
    except (InvalidOperation, ValueError):
        return None
    if not amount.is_finite() or amount != amount.to_integral_value():
        return None
    sats = int(amount)
    return sats if 0 < sats <= MAX_SATS else None
