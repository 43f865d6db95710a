"""A form with one field of each kind the marketplace uses, to show forms in every state."""

from django import forms
from django.utils.translation import gettext_lazy as _

from marketplace.fields import BtcAmountField


class SpecimenForm(forms.Form):
    title = forms.CharField(max_length=40, label=_("Title"), help_text=_("Up to 40 characters."))
    email = forms.EmailField(label=_("Email"))
    price = BtcAmountField(label=_("Price (BTC)"))
    category = forms.ChoiceField(
        label=_("Category"), choices=[("", _("Choose one")), ("books", _("Books")), ("hardware", _("Hardware"))]
    )
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, label=_("Description"))
    shipping = forms.CharField(disabled=True, initial=_("Calculated at checkout"), required=False, label=_("Shipping"))
    agree = forms.BooleanField(label=_("I accept the terms"))

    INVALID = {
        "title": "",
        "email": "not-an-address",
        "price": "0.123456789",
        "category": "",
        "agree": "",
    }
    VALID = {
        "title": "Trezor Model T",
        "email": "bob@example.com",
        "price": "0.0015",
        "category": "hardware",
        "description": "Sealed, with the original box.",
        "agree": "on",
    }
