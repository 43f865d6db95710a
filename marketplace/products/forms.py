"""Parsing only: types and lengths. The rules live in ``CatalogService``."""

from django import forms
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from marketplace.fields import BtcAmountField, WholeNumberField
from services.catalog_service import DESCRIPTION_MAX, STOCK_MAX, TITLE_MAX
from services.moderation_service import DETAILS_MAX, NOTE_MAX
from services.money import MAX_SATS


class MultipleImageInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    """Several pictures in one input; cleaned to a list (checked by ``ProductImages``)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleImageInput(attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class ProductForm(forms.Form):
    title = forms.CharField(max_length=TITLE_MAX, label=_("Title"))
    description = forms.CharField(
        max_length=DESCRIPTION_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        label=_("Description"),
        help_text=_("Plain text; line breaks are kept."),
    )
    price = BtcAmountField(min_sat=1, max_sat=MAX_SATS, label=_("Price (BTC)"))
    stock = WholeNumberField(min_value=0, max_value=STOCK_MAX, label=_("Stock"))
    category = forms.TypedChoiceField(coerce=int, choices=(), label=_("Category"))
    images = MultipleImageField(required=False, label=_("Pictures"))
    is_active = forms.BooleanField(required=False, initial=True, label=_("Listed (buyers can see it)"))

    def __init__(self, *args, categories, image_help: str, existing_images=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", gettext("Choose a category"))] + list(categories)
        self.fields["images"].help_text = image_help
        if existing_images:
            self.fields["remove_images"] = forms.TypedMultipleChoiceField(
                coerce=int,
                required=False,
                label=_("Remove pictures"),
                choices=[
                    (img.id, gettext("Picture %(number)s") % {"number": n}) for n, img in enumerate(existing_images, 1)
                ],
                widget=forms.CheckboxSelectMultiple,
            )


class ReportForm(forms.Form):
    reason = forms.ChoiceField(choices=(), label=pgettext_lazy("why a listing is reported", "Reason"))
    details = forms.CharField(
        max_length=DETAILS_MAX, required=False, widget=forms.Textarea(attrs={"rows": 3}), label=_("Details")
    )

    def __init__(self, *args, reasons, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = [("", gettext("Choose a reason"))] + list(reasons)


class NoteForm(forms.Form):
    note = forms.CharField(max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 2}), label=_("Note"))
