from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from services.api_service import SCOPES


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=60, label=_("Name"), help_text=_("What will use it: “stock sync”, “accounting export”…")
    )
    scopes = forms.MultipleChoiceField(
        # The texts are marked where they are defined; each is translated when the page is drawn.
        choices=[(scope, format_lazy("{}: {}", scope, _(text))) for scope, text in SCOPES.items()],
        label=_("Scopes"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Give it only what it needs."),
    )
    expires_in_days = forms.IntegerField(
        required=False, min_value=1, label=_("Expires after (days)"), help_text=_("Empty: until you revoke it.")
    )
