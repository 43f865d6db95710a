"""Parsing only: lengths and presence. The rules live in ``VendorService``."""

from django import forms
from django.utils.translation import gettext_lazy as _

from services.vendor_service import DESCRIPTION_MAX, REASON_MAX, SHOP_NAME_MAX, SLUG_MAX


class ApplyForm(forms.Form):
    shop_name = forms.CharField(max_length=SHOP_NAME_MAX, label=_("Shop name"))
    slug = forms.CharField(
        max_length=SLUG_MAX,
        label=_("Shop address"),
        help_text=_("Your shop's page will be /vendors/<address>/: lower-case letters, digits, hyphens."),
    )
    description = forms.CharField(
        max_length=DESCRIPTION_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        label=_("Description"),
        help_text=_("Plain text; line breaks are kept."),
    )


class ShopForm(forms.Form):
    shop_name = forms.CharField(max_length=SHOP_NAME_MAX, label=_("Shop name"))
    description = forms.CharField(
        max_length=DESCRIPTION_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        label=_("Description"),
        help_text=_("Plain text; line breaks are kept."),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=REASON_MAX, widget=forms.Textarea(attrs={"rows": 2}), label=_("Reason"))
