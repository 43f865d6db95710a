"""Form fields shared by the modules' pages: numbers people type, read by one strict grammar."""

import unicodedata

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from services.money import AmountError, format_btc, parse_btc

# Longer than any count we keep (stock, quantities, totals in satoshis fit in 16 digits), short
# enough that int() never meets the thousands of digits it is slow on.
WHOLE_NUMBER_MAX_DIGITS = 18


class BtcAmountField(forms.CharField):
    """Typed in BTC (``0.0015``), cleaned to integer satoshis (``150000``)."""

    def __init__(self, *, min_sat: int = 1, max_sat: int | None = None, **kwargs):
        kwargs.setdefault("max_length", 32)
        kwargs.setdefault("help_text", gettext_lazy("In BTC, up to 8 decimal places."))
        super().__init__(**kwargs)
        self.min_sat = min_sat
        self.max_sat = max_sat

    def prepare_value(self, value):
        return format_btc(value) if isinstance(value, int) and not isinstance(value, bool) else value

    def clean(self, value):
        text = super().clean(value)
        if text in self.empty_values:
            return None
        try:
            sats = parse_btc(text)
        except AmountError as exc:
            raise forms.ValidationError(str(exc)) from None
        if sats < self.min_sat:
            raise forms.ValidationError(
                _("The smallest amount is %(amount)s BTC.") % {"amount": format_btc(self.min_sat)}
            )
        if self.max_sat is not None and sats > self.max_sat:
            raise forms.ValidationError(
                _("The largest amount is %(amount)s BTC.") % {"amount": format_btc(self.max_sat)}
            )
        return sats


class WholeNumberField(forms.IntegerField):
    """A count typed by a person (a quantity, a stock, a percentage): the ASCII digits 0-9 only.

    Django's ``IntegerField`` reads with ``int()``, which takes any script's digits (``٣``,
    ``３``), underscores and ``2.0``; here only ``-?[0-9]+`` is a number (a minus sign is read so
    that ``min_value`` can say what the smallest is)."""

    default_error_messages = {
        "invalid": gettext_lazy("Enter a whole number with the digits 0-9, such as 2."),
        "foreign_digits": gettext_lazy("Type the number with the digits 0-9."),
        "too_long": gettext_lazy("That number is far too large."),
    }

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value  # initial data and values set by code, never typed
        text = str(value).strip()
        digits = text.removeprefix("-")
        if not (digits.isascii() and digits.isdigit()):
            foreign = any(not c.isascii() and unicodedata.category(c) == "Nd" for c in text)
            raise forms.ValidationError(self.error_messages["foreign_digits" if foreign else "invalid"], code="invalid")
        if len(digits.lstrip("0")) > WHOLE_NUMBER_MAX_DIGITS:
            raise forms.ValidationError(self.error_messages["too_long"], code="invalid")
        return int(text)
