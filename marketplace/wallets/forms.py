"""Parsing only: types and lengths. The rules (minimum, fee, network, balance) live in
``WalletService``."""

import uuid

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from marketplace.fields import BtcAmountField, WholeNumberField

TXID_HELP = _("The id of the bitcoin transaction that paid it (64 hexadecimal characters).")


def new_idempotency_key() -> str:
    return uuid.uuid4().hex


class WithdrawForm(forms.Form):
    address = forms.CharField(
        max_length=90,
        label=_("Bitcoin address"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    amount = BtcAmountField(label=_("Amount (BTC)"))
    # One per form shown: sending the same form twice (double click, retry) withdraws once.
    idempotency_key = forms.CharField(max_length=64, widget=forms.HiddenInput)


class ApproveForm(forms.Form):
    # Empty for an approval that does not complete the quorum: no bitcoin leaves before it.
    txid = forms.CharField(max_length=64, min_length=64, required=False, label=_("Transaction id"), help_text=TXID_HELP)


class RejectForm(forms.Form):
    reason = forms.CharField(max_length=200, label=_("Reason"))


class ProposeDepositForm(forms.Form):
    user = forms.ModelChoiceField(
        queryset=get_user_model().objects.filter(is_active=True),
        to_field_name="username",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        label=_("Username"),
        error_messages={"invalid_choice": _("No active user with that username.")},
    )
    amount = BtcAmountField(label=_("Amount (BTC)"))
    txid = forms.CharField(
        max_length=64,
        min_length=64,
        label=_("Transaction id"),
        help_text=TXID_HELP,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    vout = WholeNumberField(min_value=0, max_value=2**32 - 1, label=_("Output index (vout)"))
