"""Bitcoin amounts: integer satoshis everywhere; BTC text only at the edges, parsed exactly.

What a person may type is one grammar: the ASCII digits 0-9 and at most one dot, with nothing
else but a leading minus sign (read, so that a form can say what its smallest amount is).
Everything a looser parser would guess at is refused with a message naming the problem: ``0,0002``
(a decimal comma where 0.0002 was meant, which stripping the comma read as 2 BTC), digits of other
scripts (``٠.٠٠١``, ``０.００１``), group separators (``1_000``, ``1 000``: ``0_0002`` was read as
2 BTC too) and units (``BTC``, ``sats``: the fields say BTC; a unit typed may be another one, so
none is guessed).
"""

import re
import unicodedata

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

SATS_PER_BTC = 100_000_000
MAX_SATS = 21_000_000 * SATS_PER_BTC
DECIMALS = 8

EXAMPLE = gettext_noop("Enter an amount in BTC, such as 0.0015.")
_AMOUNT = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


class AmountError(ValueError):
    """Text that is not an amount of bitcoin; the message is safe to show."""


def parse_btc(text: str) -> int:
    """``"0.0015"`` -> ``150000``. At most 8 decimals, no float on the way."""
    if not isinstance(text, str):
        raise AmountError(_(EXAMPLE))
    cleaned = text.strip()
    if not cleaned:
        raise AmountError(_(EXAMPLE))
    if not _AMOUNT.fullmatch(cleaned):
        raise AmountError(_why_not_an_amount(cleaned))
    negative = cleaned.startswith("-")
    whole, _dot, fraction = cleaned.removeprefix("-").partition(".")
    if len(fraction) > DECIMALS:
        raise AmountError(_("Bitcoin amounts have at most 8 decimal places."))
    whole = whole.lstrip("0")
    # Compared as text first: int() of thousands of digits is slow, and refused past 4300.
    if len(whole) > 8:
        raise AmountError(_("That is more bitcoin than will ever exist."))
    sats = int(whole or "0") * SATS_PER_BTC + int(fraction.ljust(DECIMALS, "0"))
    if sats > MAX_SATS:
        raise AmountError(_("That is more bitcoin than will ever exist."))
    return -sats if negative else sats


def _why_not_an_amount(text: str) -> str:
    if "," in text:
        return _("Use a dot as the decimal separator (0.0002).")
    if any(not c.isascii() and unicodedata.category(c) == "Nd" for c in text):
        return _("Type the amount with the digits 0-9, such as 0.0015.")
    if any(c.isalpha() for c in text):
        return _("Enter an amount in BTC, such as 0.0015: digits and one dot, without letters or a unit.")
    if any(c.isspace() for c in text):
        return _("Type the amount without spaces, such as 0.0015.")
    if text.count(".") > 1:
        return _("An amount has at most one dot, such as 0.0015.")
    return _("Use only the digits 0-9 and one dot, such as 0.0015.")


def format_btc(sats: int) -> str:
    """``150000`` -> ``"0.00150000"``: always 8 decimals, exact."""
    if isinstance(sats, bool) or not isinstance(sats, int):
        raise TypeError(f"amounts are integer satoshis, got {type(sats).__name__}")
    sign = "-" if sats < 0 else ""
    whole, fraction = divmod(abs(sats), SATS_PER_BTC)
    return f"{sign}{whole}.{fraction:08d}"
