"""BIP84 derivation against the published test vectors, and address validation per network."""

import pytest

from services.bitcoin_addresses import DepositKey, normalize_address
from services.errors import InvalidAddress

# BIP84's test vector: mnemonic "abandon abandon ... about", account 0 (m/84'/0'/0').
ZPUB = "zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs"
XPUB = "xpub6CatWdiZiodmUeTDp8LT5or8nmbKNcuyvz7WyksVFkKB4RHwCD3XyuvPEbvqAQY3rAPshWcMLoP2fMFMKHPJ4ZeZXYVUhLv1VMrjPC7PW6V"
ZPRV = "zprvAdG4iTXWBoARxkkzNpNh8r6Qag3irQB8PzEMkAFeTRXxHpbF9z4QgEvBRmfvqWvGp42t42nvgGpNgYSJA9iefm1yYNZKEm7z6qUWCroSQnE"


def test_bip84_vectors_from_the_zpub():
    key = DepositKey(xpub=ZPUB, network="mainnet")
    assert key.address(0).address == "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu"
    assert key.address(1).address == "bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g"


def test_the_same_account_as_an_xpub_gives_the_same_addresses():
    key = DepositKey(xpub=XPUB, network="main")
    assert key.kind == "xpub"
    assert key.address(0).address == "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu"
    assert key.fingerprint == DepositKey(xpub=ZPUB, network="main").fingerprint


def test_the_network_decides_the_encoding():
    assert DepositKey(xpub=ZPUB, network="regtest").address(0).address.startswith("bcrt1q")
    assert DepositKey(xpub=ZPUB, network="testnet").address(0).address.startswith("tb1q")
    assert not DepositKey(xpub=ZPUB, network="regtest").network_matches_key


@pytest.mark.parametrize(
    "xpub, message",
    [
        ("", "empty"),
        ("not a key", "not an extended public key"),
        (ZPRV, "private key"),
        (
            "ypub6Ww3ibxVfGzLrAH1PNcjyAWenMTbbAosGNB6VvmSEgytSER9azLDWCxoJwW7Ke7icmizBMXrzBx9979FfaHxHcrArf3zbeJJJUZPf663zsP",
            "another script type",
        ),
    ],
)
def test_bad_keys_are_refused_with_a_reason(xpub, message):
    with pytest.raises(ValueError, match=message):
        DepositKey(xpub=xpub, network="main")


def test_unknown_network_and_bad_indexes():
    with pytest.raises(ValueError, match="unknown bitcoin network"):
        DepositKey(xpub=ZPUB, network="moonnet")
    key = DepositKey(xpub=ZPUB, network="main")
    for bad in (-1, 2**31, "1", 1.0, True):
        with pytest.raises(ValueError):
            key.address(bad)


def test_descriptor_for_bitcoin_core_uses_the_network_key_version_and_a_checksum():
    descriptor = DepositKey(xpub=ZPUB, network="regtest").descriptor()
    assert descriptor.startswith("wpkh(tpub") and "/0/*)#" in descriptor
    assert DepositKey(xpub=ZPUB, network="main").descriptor().startswith("wpkh(xpub6CatWdiZiodm")


@pytest.mark.parametrize(
    "network, address, canonical",
    [
        ("main", "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu", None),
        (
            "main",
            "BC1QCR8TE4KR609GCAWUTMRZA0J4XV80JY8Z306FYU",
            "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu",
        ),
        (
            "main",
            "  bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu ",
            "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu",
        ),
        ("main", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", None),  # P2PKH
        ("main", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", None),  # P2SH
        (
            "main",
            "bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297",
            None,
        ),  # taproot (BIP86)
        ("testnet", "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx", None),
        ("regtest", "bcrt1qcr8te4kr609gcawutmrza0j4xv80jy8zeqchgx", None),
        (
            "regtest",
            "mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn",
            None,
        ),  # testnet P2PKH is valid on regtest
    ],
)
def test_valid_addresses(network, address, canonical):
    assert normalize_address(address, network=network) == (canonical or address)


@pytest.mark.parametrize(
    "network, address",
    [
        ("main", ""),
        ("main", None),
        ("main", 12345),
        ("main", "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyv"),  # checksum broken
        ("main", "bc1Qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu"),  # mixed case
        ("main", "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx"),  # testnet on mainnet
        ("testnet", "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu"),  # mainnet on testnet
        ("regtest", "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx"),  # testnet bech32 on regtest
        ("main", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3"),  # base58 checksum broken
        ("main", "mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn"),  # testnet P2PKH on mainnet
        ("main", "bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs"),  # witness v2: no spending rules yet
        ("main", "<script>alert(1)</script>"),
        ("main", "bc1q" + "q" * 200),
        ("main", "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu\x00"),
    ],
)
def test_invalid_addresses(network, address):
    with pytest.raises(InvalidAddress) as caught:
        normalize_address(address, network=network)
    assert caught.value.errors == {"address": [caught.value.message]}
