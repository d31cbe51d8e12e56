"""Form fields and forms shared by the admin (and, later, any HTML form)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from incidents.dates import PartialDate
from incidents.models import Incident, Platform, Tag


class PartialDateField(forms.Field):
    """A date typed as ``2020``, ``2020-03`` or ``2020-03-30``; cleans to a ``PartialDate``."""

    widget = forms.TextInput(attrs={"size": 10, "placeholder": "YYYY-MM-DD"})

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("help_text", "YYYY, YYYY-MM or YYYY-MM-DD: as precise as the facts.")
        super().__init__(**kwargs)

    def to_python(self, value) -> PartialDate | None:
        if isinstance(value, PartialDate):
            return value
        text = str(value or "").strip()
        if not text:
            return None
        try:
            return PartialDate.parse(text)
        except ValueError as error:
            raise ValidationError(str(error), code="invalid") from None


class PartialDateModelForm(forms.ModelForm):
    """A model form whose ``partial_dates`` fields are typed at their precision.

    Each name is a DateField of the model with a ``<name>_precision`` sibling; the form shows
    one text input for the pair and writes both.
    """

    partial_dates: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in self.partial_dates:
            if name not in self.fields:
                continue
            model_field = self._meta.model._meta.get_field(name)
            self.fields[name] = PartialDateField(
                required=not model_field.null, label=model_field.verbose_name.capitalize()
            )
            value = PartialDate.from_db(
                getattr(self.instance, name), getattr(self.instance, f"{name}_precision")
            )
            if value is not None:
                self.initial[name] = value.isoformat()

    def clean(self) -> dict:
        super().clean()
        cleaned = self.cleaned_data
        for name in self.partial_dates:
            if name in cleaned:
                value: PartialDate | None = cleaned[name]
                cleaned[name] = value.start if value else None
                setattr(self.instance, f"{name}_precision", value.precision if value else None)
        return cleaned


class TransitionForm(forms.Form):
    """A status move as the admin's change page offers it."""

    to_status = forms.ChoiceField(choices=Incident.Status.choices)
    rejection_reason = forms.ChoiceField(
        choices=[("", "—"), *Incident.RejectionReason.choices], required=False
    )
    merged_into = forms.SlugField(
        required=False, help_text="For a duplicate: the slug of the incident it duplicates."
    )
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, allowed: tuple[str, ...] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if allowed:  # offer the moves the workflow allows from the current status
            to_status = self.fields["to_status"]
            assert isinstance(to_status, forms.ChoiceField)  # noqa: S101 - narrows the type
            to_status.choices = [(s, Incident.Status(s).label) for s in allowed]

    def clean(self) -> dict:
        super().clean()
        cleaned = self.cleaned_data
        duplicate = cleaned.get("rejection_reason") == Incident.RejectionReason.DUPLICATE
        if cleaned.get("merged_into") and not duplicate:
            self.add_error("merged_into", "Only a duplicate is merged into another incident.")
        if duplicate and not cleaned.get("merged_into"):
            self.add_error("merged_into", "Name the incident this one duplicates.")
        if duplicate and cleaned.get("to_status") != Incident.Status.REJECTED:
            self.add_error("to_status", "A duplicate is rejected.")
        return cleaned


class DismissForm(forms.Form):
    """Why the selected suggestions are dismissed (kept on each)."""

    reason = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class IncidentFromArticleForm(forms.Form):
    """A new incident filed from an article, as the admin's article page offers it."""

    title = forms.CharField(max_length=200)
    category = forms.ChoiceField(choices=Incident.Category.choices)
    severity = forms.ChoiceField(
        choices=Incident.Severity.choices, initial=Incident.Severity.MEDIUM
    )
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    occurred_on = PartialDateField(required=False, label="Occurred on")
    platforms = forms.ModelMultipleChoiceField(
        queryset=Platform.objects.order_by("name"), required=False
    )
    tags = forms.ModelMultipleChoiceField(queryset=Tag.objects.all(), required=False)
