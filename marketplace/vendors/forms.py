"""Parsing only: lengths and presence. The rules live in ``VendorService``."""

from django import forms

from services.vendor_service import DESCRIPTION_MAX, REASON_MAX, SHOP_NAME_MAX, SLUG_MAX


class ApplyForm(forms.Form):
    shop_name = forms.CharField(max_length=SHOP_NAME_MAX)
    slug = forms.CharField(
        max_length=SLUG_MAX,
        label="Shop address",
        help_text="Your shop's page will be /vendors/<address>/: lower-case letters, digits, hyphens.",
    )
    description = forms.CharField(
        max_length=DESCRIPTION_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Plain text; line breaks are kept.",
    )


class ShopForm(forms.Form):
    shop_name = forms.CharField(max_length=SHOP_NAME_MAX)
    description = forms.CharField(
        max_length=DESCRIPTION_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Plain text; line breaks are kept.",
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=REASON_MAX, widget=forms.Textarea(attrs={"rows": 2}))
