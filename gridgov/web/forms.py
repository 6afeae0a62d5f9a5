"""Forms of the web pages. They parse and check input; the domain actions decide and write."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from gridgov.cases.actions import MAX_PHOTO_BYTES, PhotoUpload
from gridgov.catalogue.queries import list_categories

PHOTO_TYPES = "image/jpeg,image/png,image/webp"


def public_category_choices() -> list[tuple[str, Any]]:
    """Leaf categories residents may choose (is_public, active, no children), in code order."""
    categories = list_categories().filter(is_public=True, children__isnull=True).distinct()
    return [("", _("I don't know (the centre will choose)")), *((c.code, c.name) for c in categories)]


class ReportForm(forms.Form):
    title = forms.CharField(
        label=_("What is the problem?"),
        max_length=200,
        help_text=_("One line, for example: the street lamp at the gate is broken."),
    )
    description = forms.CharField(
        label=_("What happened"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    category = forms.ChoiceField(label=_("Kind of problem"), required=False)
    lon = forms.FloatField(required=False, min_value=-180, max_value=180, widget=forms.HiddenInput)
    lat = forms.FloatField(required=False, min_value=-90, max_value=90, widget=forms.HiddenInput)
    address = forms.CharField(
        label=_("Address or landmark"),
        required=False,
        max_length=200,
        help_text=_("Needed when you do not put a pin on the map."),
    )
    photo = forms.FileField(
        label=_("Photo"),
        required=False,
        help_text=_("Optional. A JPEG, PNG or WebP image of at most 10 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": PHOTO_TYPES}),
    )
    reporter_name = forms.CharField(label=_("Your name"), required=False, max_length=60)
    reporter_contact = forms.CharField(
        label=_("Your phone number"),
        required=False,
        max_length=30,
        help_text=_("Optional. Only the staff handling the case see it, to call you back."),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    is_anonymous = forms.BooleanField(
        label=_("Report anonymously (your name and phone number are not kept)"), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = public_category_choices()  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        lon, lat = data.get("lon"), data.get("lat")
        if (lon is None) != (lat is None):
            raise forms.ValidationError(_("The map pin is incomplete; put it on the map again."))
        if lon is None and not (data.get("address") or "").strip() and not self.has_error("address"):
            raise forms.ValidationError(_("Put a pin on the map or type an address."))
        return data

    def clean_photo(self) -> Any:
        photo = self.cleaned_data.get("photo")
        if photo and photo.size > MAX_PHOTO_BYTES:
            raise forms.ValidationError(_("The photo is larger than 10 MB."))
        return photo

    def photos(self) -> list[PhotoUpload]:
        photo = self.cleaned_data.get("photo")
        return [PhotoUpload(name=photo.name, content=photo.read())] if photo else []


class TrackForm(forms.Form):
    number = forms.CharField(
        label=_("Case number"),
        max_length=32,
        help_text=_("The number you were given when you reported, for example 330102-20250101-000001."),
    )

    def clean_number(self) -> str:
        return str(self.cleaned_data["number"]).strip()


class RateForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How well was it solved? (1 to 5 stars)"),
        coerce=int,
        choices=[(n, "★" * n) for n in range(5, 0, -1)],
        widget=forms.RadioSelect,
    )
    satisfied = forms.TypedChoiceField(
        label=_("Are you satisfied with the result?"),
        coerce=lambda value: value == "yes",
        choices=[("yes", _("Yes, satisfied")), ("no", _("No, not satisfied"))],
        widget=forms.RadioSelect,
        help_text=_("If you are not satisfied, the case is opened again."),
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )
