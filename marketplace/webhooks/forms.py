"""Parsing only: types and lengths. The rules (https, public addresses, event types) live in
``WebhookService``, so a page and any other caller are held to the same ones."""

from django import forms

from services.webhook_service import DESCRIPTION_MAX, EVENT_TYPES, URL_MAX


class EndpointForm(forms.Form):
    url = forms.CharField(
        max_length=URL_MAX,
        label="URL",
        help_text="Where the events are POSTed: an https:// address on the public internet.",
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "placeholder": "https://example.com/webhooks"}
        ),
    )
    description = forms.CharField(max_length=DESCRIPTION_MAX, required=False, label="Description")
    # Not required here: the service says "choose at least one" in its own words.
    events = forms.MultipleChoiceField(
        choices=[(name, f"{name}: {what}") for name, what in EVENT_TYPES.items()],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Events",
        help_text="Only about your own orders (as buyer or vendor) and your own shop's products.",
    )


class ActiveForm(forms.Form):
    active = forms.TypedChoiceField(choices=[("1", "Enable"), ("0", "Disable")], coerce=lambda value: value == "1")
