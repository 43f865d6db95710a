from django import forms

from services.api_service import SCOPES


class TokenForm(forms.Form):
    name = forms.CharField(max_length=60, help_text="What will use it: “stock sync”, “accounting export”…")
    scopes = forms.MultipleChoiceField(
        choices=[(scope, f"{scope}: {text}") for scope, text in SCOPES.items()],
        widget=forms.CheckboxSelectMultiple,
        help_text="Give it only what it needs.",
    )
    expires_in_days = forms.IntegerField(
        required=False, min_value=1, label="Expires after (days)", help_text="Empty: until you revoke it."
    )
