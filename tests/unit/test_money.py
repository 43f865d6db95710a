import pytest
from django import forms
from hypothesis import given
from hypothesis import strategies as st

from marketplace.fields import BtcAmountField, WholeNumberField
from marketplace.templatetags.money import btc
from services.money import MAX_SATS, AmountError, format_btc, parse_btc


@pytest.mark.parametrize(
    "text, sats",
    [
        ("1", 100_000_000),
        ("0.0015", 150_000),
        ("0.00000001", 1),
        (" 2.5 ", 250_000_000),
        (".5", 50_000_000),
        ("5.", 500_000_000),
        ("0002.10", 210_000_000),
        ("-0.1", -10_000_000),
        ("21000000", MAX_SATS),
        ("0.0002", 20_000),
    ],
)
def test_parse_btc(text, sats):
    assert parse_btc(text) == sats


@pytest.mark.parametrize(
    "text",
    [
        "",
        "abc",
        "1e3",
        "NaN",
        "inf",
        "0.000000001",
        "21000000.00000001",
        "1.2.3",
        "--1",
        None,
        5,
        ".",
        "-",
        "+1",
        "0x10",
        "1" * 5000,
    ],
)
def test_parse_btc_refuses(text):
    with pytest.raises(AmountError):
        parse_btc(text)


@pytest.mark.parametrize(
    "text, message",
    [
        # The outside tester's case: a decimal comma, which used to be stripped (0,0002 -> 2 BTC).
        ("0,0002", "Use a dot as the decimal separator (0.0002)."),
        ("1,000", "Use a dot as the decimal separator (0.0002)."),
        ("٠.٠٠١", "Type the amount with the digits 0-9, such as 0.0015."),  # Arabic-Indic
        ("０.００１", "Type the amount with the digits 0-9, such as 0.0015."),  # full-width
        ("0.0٠1", "Type the amount with the digits 0-9, such as 0.0015."),  # mixed
        ("۰.۵", "Type the amount with the digits 0-9, such as 0.0015."),  # Extended Arabic-Indic
        ("0. 001", "Type the amount without spaces, such as 0.0015."),
        ("1 000", "Type the amount without spaces, such as 0.0015."),
        ("1.2.3", "An amount has at most one dot, such as 0.0015."),
        ("0.001 BTC", "without letters or a unit"),
        ("0.001BTC", "without letters or a unit"),
        ("1000sats", "without letters or a unit"),
        ("0_0002", "Use only the digits 0-9 and one dot, such as 0.0015."),
        ("1_000", "Use only the digits 0-9 and one dot, such as 0.0015."),
        ("²", "Use only the digits 0-9 and one dot, such as 0.0015."),  # a digit to isdigit(), not to int()
        ("1" * 40, "more bitcoin than will ever exist"),
        ("0." + "0" * 40 + "1", "at most 8 decimal places"),
        ("99999999", "more bitcoin than will ever exist"),
    ],
)
def test_parse_btc_says_what_is_wrong(text, message):
    with pytest.raises(AmountError) as refused:
        parse_btc(text)
    assert message in str(refused.value)


@given(st.integers(min_value=-MAX_SATS, max_value=MAX_SATS))
def test_format_then_parse_is_exact(sats):
    assert parse_btc(format_btc(sats)) == sats


@given(st.text(max_size=24))
def test_parse_btc_accepts_nothing_but_ascii_digits_a_dot_and_a_leading_minus(text):
    try:
        sats = parse_btc(text)
    except AmountError:
        return
    body = text.strip().removeprefix("-")
    assert body.count(".") <= 1 and set(body) <= set("0123456789.") and isinstance(sats, int)


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
    for bad in ("0.0000001", "2", "-1", "x", "1e-3", "0,5", "０.５", "0.5 BTC"):
        form = Form({"amount": bad})
        assert not form.is_valid(), bad
    form = Form({"amount": "0.00150000"})
    form.is_valid()
    assert form.cleaned_data["amount"] == 150_000
    assert Form({"amount": "-1"}).errors["amount"] == ["The smallest amount is 0.00001000 BTC."]


class CountForm(forms.Form):
    quantity = WholeNumberField(min_value=1, max_value=99)


@pytest.mark.parametrize("text, value", [("1", 1), ("07", 7), (" 99 ", 99)])
def test_whole_number_field_reads_ascii_digits(text, value):
    form = CountForm({"quantity": text})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["quantity"] == value


@pytest.mark.parametrize(
    "text, message",
    [
        ("٣", "Type the number with the digits 0-9."),  # Django's IntegerField reads it as 3
        ("３", "Type the number with the digits 0-9."),
        ("1٣", "Type the number with the digits 0-9."),
        ("1_0", "Enter a whole number with the digits 0-9, such as 2."),  # int() reads 10
        ("2.0", "Enter a whole number with the digits 0-9, such as 2."),  # IntegerField reads 2
        ("1,5", "Enter a whole number with the digits 0-9, such as 2."),
        ("+3", "Enter a whole number with the digits 0-9, such as 2."),
        ("²", "Enter a whole number with the digits 0-9, such as 2."),
        ("three", "Enter a whole number with the digits 0-9, such as 2."),
        ("1 0", "Enter a whole number with the digits 0-9, such as 2."),
        ("-1", "greater than or equal to 1"),
        ("100", "less than or equal to 99"),
        ("9" * 5000, "That number is far too large."),
    ],
)
def test_whole_number_field_refuses_everything_else(text, message):
    form = CountForm({"quantity": text})
    assert not form.is_valid()
    assert message in form.errors["quantity"][0]


@pytest.mark.parametrize(
    "language, sats, shown",
    [
        ("en", 150_000, "0.00150000"),
        ("de", 150_000, "0,00150000"),
        ("es", 150_000, "0,00150000"),
        ("en", 123_456_789_012_345, "1,234,567.89012345"),
        ("de", 123_456_789_012_345, "1.234.567,89012345"),
        ("de", -5, "-0,00000005"),
        ("de", MAX_SATS, "21.000.000,00000000"),
    ],
)
def test_amounts_are_shown_with_the_languages_separators_and_eight_decimals(language, sats, shown):
    from django.utils import translation

    from marketplace.templatetags.money import btc_plain

    with translation.override(language):
        assert btc(sats) == shown
        # What a form gives back to be typed again is the one notation the amount fields accept.
        assert btc_plain(sats) == format_btc(sats)
        if sats >= 0:
            assert parse_btc(btc_plain(sats)) == sats


@given(st.integers(min_value=0, max_value=MAX_SATS))
def test_a_shown_amount_keeps_every_satoshi_in_every_language(sats):
    from django.utils import translation

    for language in ("en", "de", "es"):
        with translation.override(language):
            shown = btc(sats)
        digits = "".join(ch for ch in shown if ch.isdigit())
        assert int(digits) == sats
