"""Parsing only: types and lengths. The rules (https, public addresses, event types) live in
``WebhookService``, so a page and any other caller are held to the same ones."""

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from services.webhook_service import DESCRIPTION_MAX, EVENT_TYPES, URL_MAX


class EndpointForm(forms.Form):
    url = forms.CharField(
        max_length=URL_MAX,
        label=_("URL"),
        help_text=_("Where the events are POSTed: an https:// address on the public internet."),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "placeholder": "https://example.com/webhooks"}
        ),
    )
    description = forms.CharField(max_length=DESCRIPTION_MAX, required=False, label=_("Description"))
    # Not required here: the service says "choose at least one" in its own words.
    events = forms.MultipleChoiceField(
        # The texts are marked where they are defined; each is translated when the page is drawn.
        choices=[(name, format_lazy("{}: {}", name, _(what))) for name, what in EVENT_TYPES.items()],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label=_("Events"),
        help_text=_("Only about your own orders (as buyer or vendor) and your own shop's products."),
    )


class ActiveForm(forms.Form):
    active = forms.TypedChoiceField(
        choices=[("1", _("Enable")), ("0", _("Disable"))], coerce=lambda value: value == "1"
    )
