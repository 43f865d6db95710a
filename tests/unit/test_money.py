import pytest
from django import forms
from hypothesis import given
from hypothesis import strategies as st

from marketplace.fields import BtcAmountField
from marketplace.templatetags.money import btc
from services.money import MAX_SATS, AmountError, format_btc, parse_btc


@pytest.mark.parametrize(
    "text, sats",
    [("1", 100_000_000), ("0.0015", 150_000), ("0.00000001", 1), (" 2.5 BTC ", 250_000_000),
     ("1,000", 100_000_000_000), ("-0.1", -10_000_000), ("21000000", MAX_SATS)],
)
def test_parse_btc(text, sats):
    assert parse_btc(text) == sats


@pytest.mark.parametrize(
    "text", ["", "abc", "1e3", "NaN", "inf", "0.000000001", "21000000.00000001", "1.2.3", "--1", None, 5]
)
def test_parse_btc_refuses(text):
    with pytest.raises(AmountError):
        parse_btc(text)


@given(st.integers(min_value=-MAX_SATS, max_value=MAX_SATS))
def test_format_then_parse_is_exact(sats):
    assert parse_btc(format_btc(sats)) == sats


def test_format_btc_has_eight_decimals_and_refuses_floats():
    assert format_btc(150_000) == "0.00150000"
    assert format_btc(-1) == "-0.00000001"
    assert btc(123_456_789) == "1.23456789"
    with pytest.raises(TypeError):
        format_btc(0.1)


def test_btc_amount_field():
    class Form(forms.Form):
        amount = BtcAmountField(min_sat=1000, max_sat=10**8)

    assert Form({"amount": "0.001"}).is_valid()
    assert Form({"amount": "0.5"}).is_valid()
    for bad in ("0.0000001", "2", "-1", "x", "1e-3"):
        form = Form({"amount": bad})
        assert not form.is_valid(), bad
    form = Form({"amount": "0.00150000"})
    form.is_valid()
    assert form.cleaned_data["amount"] == 150_000
