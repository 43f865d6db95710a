"""Bitcoin addresses with embit: BIP84 receive addresses from the marketplace's account key, and
validation of the addresses users withdraw to, for the configured network only.
"""

import hashlib
from dataclasses import dataclass

from django.utils.translation import gettext as _
from embit import base58, bech32, bip32
from embit.networks import NETWORKS
from embit.script import address_to_scriptpubkey, p2wpkh

from services.errors import InvalidAddress

# Our names for networks -> embit's. Regtest and signet share testnet's key versions.
NETWORK_NAMES = {
    "mainnet": "main",
    "main": "main",
    "testnet": "test",
    "test": "test",
    "signet": "signet",
    "regtest": "regtest",
}
RECEIVE_CHAIN = 0  # BIP44 "external" chain: addresses given out to be paid
MAX_INDEX = 2**31 - 1  # non-hardened child numbers only
# SLIP-132 versions that mean "BIP84 native segwit" or plain BIP32, per network kind.
ACCEPTED_VERSIONS = {
    "main": {NETWORKS["main"]["xpub"]: "xpub", NETWORKS["main"]["zpub"]: "zpub"},
    "test": {NETWORKS["test"]["xpub"]: "tpub", NETWORKS["test"]["zpub"]: "vpub"},
}


def network_key(name: str) -> str:
    try:
        return NETWORK_NAMES[str(name).strip().lower()]
    except KeyError:
        raise ValueError(f"unknown bitcoin network {name!r} (use mainnet, testnet, signet or regtest)") from None


@dataclass(frozen=True)
class DerivedAddress:
    index: int
    address: str


class DepositKey:
    """The marketplace's BIP84 account extended public key (``m/84'/coin'/0'``), watch-only.

    Receive address ``i`` is ``<account>/0/i`` as P2WPKH, encoded for the configured network.
    """

    def __init__(self, *, xpub: str, network: str):
        self.network = network_key(network)
        text = (xpub or "").strip()
        if not text:
            raise ValueError("MARKETPLACE_WALLET_XPUB is empty: set the account xpub/zpub")
        try:
            key = bip32.HDKey.from_string(text)
        except Exception as exc:
            raise ValueError(f"MARKETPLACE_WALLET_XPUB is not an extended public key: {exc}") from None
        if key.is_private:
            raise ValueError("MARKETPLACE_WALLET_XPUB holds a private key: give the public one only")
        self.key_network = "main" if key.version in ACCEPTED_VERSIONS["main"] else "test"
        kind = ACCEPTED_VERSIONS[self.key_network].get(key.version)
        if kind is None:
            raise ValueError(
                "MARKETPLACE_WALLET_XPUB must be an xpub/zpub (or tpub/vpub): other versions "
                "(ypub, upub...) mean another script type than BIP84 native segwit"
            )
        self.kind = kind
        self._key = key
        self._receive = key.derive([RECEIVE_CHAIN])
        # Identifies the key (not secret): indexes are counted per key, so a new key starts at 0.
        self.fingerprint = hashlib.sha256(key.chain_code + key.key.sec()).hexdigest()[:16]

    @property
    def network_matches_key(self) -> bool:
        return (self.network == "main") == (self.key_network == "main")

    def address(self, index: int) -> DerivedAddress:
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index <= MAX_INDEX:
            raise ValueError(f"address index must be an integer in 0..{MAX_INDEX}, got {index!r}")
        child = self._receive.derive([index])
        return DerivedAddress(index=index, address=p2wpkh(child).address(NETWORKS[self.network]))

    def descriptor(self) -> str:
        """The watch-only descriptor a Bitcoin Core wallet imports (with its checksum)."""
        from embit.descriptor.checksum import add_checksum

        version = NETWORKS[self.network]["xpub"]
        account = self._key.to_base58(version=version)
        return add_checksum(f"wpkh({account}/{RECEIVE_CHAIN}/*)")

    def describe(self) -> dict:
        return {
            "network": self.network,
            "key_kind": self.kind,
            "key_fingerprint": self.fingerprint,
            "network_matches_key": self.network_matches_key,
        }


def normalize_address(text, *, network: str) -> str:
    """The address in its canonical form if it is valid on ``network``; else ``InvalidAddress``."""
    net = NETWORKS[network_key(network)]
    name = net["name"]
    if not isinstance(text, str):
        raise InvalidAddress(_("Enter a bitcoin address."), field="address")
    address = text.strip()
    if not address:
        raise InvalidAddress(_("Enter a bitcoin address."), field="address")
    if len(address) < 14 or len(address) > 90 or not address.isascii() or not address.isalnum():
        raise InvalidAddress(_("That is not a valid %(network)s bitcoin address.") % {"network": name}, field="address")
    lowered = address.lower()
    if lowered.startswith(net["bech32"] + "1"):
        if address != lowered and address != address.upper():
            raise InvalidAddress(_("A bech32 address is all lower case or all upper case."), field="address")
        version, program = bech32.decode(net["bech32"], lowered)
        # v0 (P2WPKH/P2WSH) and v1 (taproot) only: later versions have no spending rules yet.
        if version is None or version not in (0, 1) or (version == 1 and len(program) != 32):
            raise InvalidAddress(
                _("That is not a valid %(network)s bitcoin address.") % {"network": name}, field="address"
            )
        address = lowered
    else:
        try:
            payload = base58.decode_check(address)
        except Exception:
            payload = b""
        if len(payload) != 21 or payload[:1] not in (net["p2pkh"], net["p2sh"]):
            raise InvalidAddress(
                _("That is not a valid %(network)s bitcoin address (check the network and every character).")
                % {"network": name},
                field="address",
            )
    try:
        script = address_to_scriptpubkey(address)
    except Exception:
        raise InvalidAddress(
            _("That is not a valid %(network)s bitcoin address.") % {"network": name}, field="address"
        ) from None
    if script.address(net) != address:
        raise InvalidAddress(_("That is not a valid %(network)s bitcoin address.") % {"network": name}, field="address")
    return address
