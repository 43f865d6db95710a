"""Form fields shared by the modules' pages."""

from django import forms

from services.money import AmountError, format_btc, parse_btc


class BtcAmountField(forms.CharField):
    """Typed in BTC (``0.0015``), cleaned to integer satoshis (``150000``)."""

    def __init__(self, *, min_sat: int = 1, max_sat: int | None = None, **kwargs):
        kwargs.setdefault("max_length", 32)
        kwargs.setdefault("help_text", "In BTC, up to 8 decimal places.")
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
            raise forms.ValidationError(f"The smallest amount is {format_btc(self.min_sat)} BTC.")
        if self.max_sat is not None and sats > self.max_sat:
            raise forms.ValidationError(f"The largest amount is {format_btc(self.max_sat)} BTC.")
        return sats
