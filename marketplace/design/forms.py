"""A form with one field of each kind the marketplace uses, to show forms in every state."""

from django import forms

from marketplace.fields import BtcAmountField


class SpecimenForm(forms.Form):
    title = forms.CharField(max_length=40, help_text="Up to 40 characters.")
    email = forms.EmailField()
    price = BtcAmountField(label="Price (BTC)")
    category = forms.ChoiceField(choices=[("", "Choose one"), ("books", "Books"), ("hardware", "Hardware")])
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    shipping = forms.CharField(disabled=True, initial="Calculated at checkout", required=False)
    agree = forms.BooleanField(label="I accept the terms")

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
