"""Staff forms for safety screens. They parse and label input; rules live in services."""

from __future__ import annotations

from typing import Any

from django import forms

from mesoclinic.catalogue.models import Formulation, Treatment
from mesoclinic.people.models import Practitioner
from mesoclinic.people.roles import staff_member
from mesoclinic.safety.engine import Condition
from mesoclinic.safety.models import CONDITION_LABELS, OVERRIDABLE_CODES, SignatureKind


def _lines(text: str) -> list[str]:
    """Split a textarea into items: one per line (or comma-separated)."""
    items = [part.strip() for line in text.splitlines() for part in line.split(",")]
    return [item for item in items if item]


class ScreeningForm(forms.Form):
    """What to screen for; ``practitioner`` starts as the signed-in practitioner, so a
    doctor's screening checks their own licence and scope unless they choose otherwise."""

    treatment = forms.ModelChoiceField(
        queryset=Treatment.objects.filter(active=True).order_by("name"),
        to_field_name="code",
        empty_label="Choose a treatment",
        error_messages={"required": "Choose a treatment to screen for."},
    )
    practitioner = forms.ModelChoiceField(
        queryset=Practitioner.objects.filter(active=True).order_by("family_name"),
        to_field_name="code",
        required=False,
        empty_label="Any practitioner (their licence and scope not checked)",
    )
    on = forms.DateField(
        required=False,
        label="Treatment date",
        help_text="Leave empty for today.",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter a date such as 2027-03-05."},
    )


class QuestionnaireForm(forms.Form):
    pregnant = forms.BooleanField(required=False, label="Pregnant")
    breastfeeding = forms.BooleanField(required=False, label="Breastfeeding")
    allergies = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line, in the client's own words (e.g. lidocaine, soya).",
    )
    medications = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line, with dose if known.",
    )
    conditions = forms.MultipleChoiceField(
        required=False,
        choices=[(code.value, CONDITION_LABELS[code]) for code in Condition],
        widget=forms.CheckboxSelectMultiple,
        label="Conditions",
    )
    isotretinoin_last_taken_on = forms.DateField(
        required=False,
        label="Isotretinoin last taken on",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def service_kwargs(self) -> dict[str, Any]:
        """The cleaned answers as ``questionnaire_record`` arguments."""
        data = self.cleaned_data
        return {
            "pregnant": data["pregnant"],
            "breastfeeding": data["breastfeeding"],
            "allergies": _lines(data["allergies"]),
            "medications": _lines(data["medications"]),
            "conditions": data["conditions"],
            "isotretinoin_last_taken_on": data["isotretinoin_last_taken_on"],
            "notes": data["notes"],
        }


class ConsentCaptureForm(forms.Form):
    form_version = forms.IntegerField(widget=forms.HiddenInput)
    accepted = forms.BooleanField(
        required=False,
        label="The client has read this form, had their questions answered, and consents.",
    )
    signature_kind = forms.ChoiceField(
        choices=SignatureKind.choices,
        initial=SignatureKind.TYPED,
        widget=forms.RadioSelect,
        label="Signature",
    )
    signed_name = forms.CharField(max_length=200, label="Client's full name")
    signature_data = forms.CharField(required=False, widget=forms.HiddenInput)
    photo_use = forms.BooleanField(
        required=False, label="I agree to photos of my treatment being used in my clinical record"
    )
    marketing = forms.BooleanField(
        required=False, label="I agree to receive news and offers from the clinic (optional)"
    )


class OverrideForm(forms.Form):
    treatment = forms.ModelChoiceField(
        queryset=Treatment.objects.all(), to_field_name="code", widget=forms.HiddenInput
    )
    code = forms.ChoiceField(
        choices=[(code, code) for code in OVERRIDABLE_CODES], widget=forms.HiddenInput
    )
    justification = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Clinical justification",
    )


class PrescriptionForm(forms.Form):
    prescriber = forms.ModelChoiceField(
        queryset=Practitioner.objects.filter(active=True).exclude(prescriber_qualification=""),
        to_field_name="code",
        empty_label="Choose the prescriber",
    )
    formulation = forms.ModelChoiceField(
        queryset=Formulation.objects.filter(active=True).order_by("name"),
        to_field_name="code",
        empty_label="Choose the product",
    )
    consultation_at = forms.DateTimeField(
        label="Face-to-face consultation (date and time)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        error_messages={"invalid": "Enter the date and time of the consultation."},
    )
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


def screening_form_for(user: Any) -> ScreeningForm:
    """An empty screening form with the signed-in practitioner chosen, if the user is one."""
    own = staff_member(user).practitioner
    return ScreeningForm(initial={"practitioner": own.code} if own is not None else {})
