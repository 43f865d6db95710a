"""Bitcoin amounts: integer satoshis everywhere; BTC text only at the edges, parsed exactly."""

from decimal import Decimal, InvalidOperation

SATS_PER_BTC = 100_000_000
MAX_SATS = 21_000_000 * SATS_PER_BTC


class AmountError(ValueError):
    """Text that is not an amount of bitcoin; the message is safe to show."""


def parse_btc(text: str) -> int:
    """``"0.0015"`` -> ``150000``. At most 8 decimals, no exponent, no float on the way."""
    if not isinstance(text, str):
        raise AmountError("Enter an amount in BTC, such as 0.0015.")
    cleaned = text.strip().replace(",", "").replace("_", "")
    if cleaned.upper().endswith("BTC"):
        cleaned = cleaned[:-3].strip()
    if not cleaned or len(cleaned) > 32 or any(c in cleaned for c in "eEnN"):
        raise AmountError("Enter an amount in BTC, such as 0.0015.")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise AmountError("Enter an amount in BTC, such as 0.0015.") from None
    if not value.is_finite():
        raise AmountError("Enter an amount in BTC, such as 0.0015.")
    if value.as_tuple().exponent < -8:
        raise AmountError("Bitcoin amounts have at most 8 decimal places.")
    sats = int(value * SATS_PER_BTC)
    if abs(sats) > MAX_SATS:
        raise AmountError("That is more bitcoin than will ever exist.")
    return sats


def format_btc(sats: int) -> str:
    """``150000`` -> ``"0.00150000"``: always 8 decimals, exact."""
    if isinstance(sats, bool) or not isinstance(sats, int):
        raise TypeError(f"amounts are integer satoshis, got {type(sats).__name__}")
    sign = "-" if sats < 0 else ""
    whole, fraction = divmod(abs(sats), SATS_PER_BTC)
    return f"{sign}{whole}.{fraction:08d}"
