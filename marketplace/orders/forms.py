"""Parsing only: types and lengths. The rules (states, roles, deadlines, balances) live in the
orders services."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from marketplace.fields import WholeNumberField
from services.cart_service import QUANTITY_MAX


class AddToCartForm(forms.Form):
    product_id = WholeNumberField(min_value=1, widget=forms.HiddenInput)
    quantity = WholeNumberField(min_value=1, max_value=QUANTITY_MAX, initial=1, label=_("Quantity"))


class QuantityForm(forms.Form):
    quantity = WholeNumberField(
        min_value=0, max_value=QUANTITY_MAX, label=_("Quantity"), help_text=_("0 removes it from your cart.")
    )


class CheckoutForm(forms.Form):
    # One per page shown: sending the same form twice (double click, retry) pays once.
    idempotency_key = forms.CharField(max_length=64, widget=forms.HiddenInput)
    # The total the buyer saw; if prices moved since, nothing is bought.
    expected_total_sat = WholeNumberField(min_value=1, widget=forms.HiddenInput)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        required=False, max_length=1000, label=_("Reason (optional)"), widget=forms.Textarea(attrs={"rows": 2})
    )


class ShipForm(forms.Form):
    tracking_note = forms.CharField(
        required=False,
        max_length=500,
        label=_("Tracking (optional)"),
        help_text=_("A tracking number or a note for the buyer."),
    )


class DisputeForm(forms.Form):
    reason = forms.CharField(max_length=2000, label=_("What went wrong?"), widget=forms.Textarea(attrs={"rows": 3}))


class ResolveForm(forms.Form):
    ruling = forms.ChoiceField(
        choices=[
            ("refund", _("Refund the buyer")),
            ("release", _("Release to the vendor")),
            ("split", _("Split")),
        ],
        label=_("Ruling"),
    )
    buyer_percent = WholeNumberField(
        required=False,
        min_value=1,
        max_value=99,
        label=_("Buyer's share (%)"),
        help_text=_("For a split only: the buyer's share of the escrow."),
    )
    note = forms.CharField(
        max_length=2000, label=_("Ruling, as both parties will read it"), widget=forms.Textarea(attrs={"rows": 3})
    )


class MessageForm(forms.Form):
    body = forms.CharField(max_length=2000, label=_("Message"), widget=forms.Textarea(attrs={"rows": 3}))


class ReviewForm(forms.Form):
    rating = forms.TypedChoiceField(
        choices=[
            (n, ngettext_lazy("%(count)s star", "%(count)s stars", "count") % {"count": n}) for n in range(5, 0, -1)
        ],
        coerce=int,
        label=_("Rating"),
    )
    text = forms.CharField(
        required=False, max_length=2000, label=_("Your review (optional)"), widget=forms.Textarea(attrs={"rows": 3})
    )


class LookupForm(forms.Form):
    # Room for a reference pasted with spaces around it; the service tidies and checks it.
    reference = forms.CharField(max_length=40, label=_("Order reference"), help_text=_("Such as ORD-7K2M9QXA."))
