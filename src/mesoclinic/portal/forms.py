"""Forms for the public booking pages and the client account (labels written for clients)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib.auth import authenticate

from mesoclinic.portal.models import ClientAccount
from mesoclinic.portal.prescreen import CONDITION_QUESTIONS, Answers

YES_NO = [("no", "No"), ("yes", "Yes")]


def _split_words(text: str) -> tuple[str, ...]:
    return tuple(
        part.strip()
        for part in text.replace(";", ",").replace("\n", ",").split(",")
        if part.strip()
    )


class PrescreenForm(forms.Form):
    """The health questions, in the staff questionnaire's terms, asked plainly."""

    birth_date = forms.DateField(
        label="Your date of birth",
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}),
    )
    # No answer is chosen for the client: a skimmed question must not pass as "No".
    pregnant = forms.ChoiceField(
        label="Are you pregnant, or could you be?",
        choices=YES_NO,
        widget=forms.RadioSelect,
        error_messages={"required": "Please answer: are you pregnant, or could you be?"},
    )
    breastfeeding = forms.ChoiceField(
        label="Are you breastfeeding?",
        choices=YES_NO,
        widget=forms.RadioSelect,
        error_messages={"required": "Please answer: are you breastfeeding?"},
    )
    allergies = forms.CharField(
        label="Allergies",
        help_text="Anything you are allergic to, separated by commas (for example: lidocaine, soya, latex). Leave empty if none.",
        required=False,
        max_length=500,
    )
    medications = forms.CharField(
        label="Medicines you take",
        help_text="Separated by commas. Leave empty if none.",
        required=False,
        max_length=500,
    )
    conditions = forms.MultipleChoiceField(
        label="Do any of these apply to you?",
        help_text="Tick all that apply; leave all unticked if none do.",
        choices=[(code, text) for code, text in CONDITION_QUESTIONS],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def clean_birth_date(self) -> dt.date:
        value: dt.date = self.cleaned_data["birth_date"]
        if value > dt.date.today() or value.year < 1900:  # noqa: DTZ011 - a bound, not "now"
            raise forms.ValidationError("Please check your date of birth.")
        return value

    def answers(self) -> Answers:
        """The cleaned answers."""
        data = self.cleaned_data
        return Answers(
            birth_date=data["birth_date"],
            pregnant=data["pregnant"] == "yes",
            breastfeeding=data["breastfeeding"] == "yes",
            allergies=_split_words(data["allergies"]),
            conditions=frozenset(data["conditions"]),
            medications=_split_words(data["medications"]),
        )

    @classmethod
    def initial_from(cls, answers: Answers) -> dict[str, Any]:
        return {
            "birth_date": answers.birth_date,
            "pregnant": "yes" if answers.pregnant else "no",
            "breastfeeding": "yes" if answers.breastfeeding else "no",
            "allergies": ", ".join(answers.allergies),
            "medications": ", ".join(answers.medications),
            "conditions": sorted(answers.conditions),
        }


class DetailsForm(forms.Form):
    """Who is booking: asks for their account (finished through the emailed link).

    No password here: it is chosen on the link's page, by whoever owns the email.
    """

    given_name = forms.CharField(
        label="First name",
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    family_name = forms.CharField(
        label="Last name",
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    email = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    phone = forms.CharField(
        label="Mobile number",
        help_text="For text reminders. Optional.",
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    policy = forms.BooleanField(label="I have read the cancellation policy above")


class SignupForm(DetailsForm):
    """Sign-up without a booking: the date of birth is asked here."""

    birth_date = forms.DateField(
        label="Your date of birth",
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}),
    )
    policy = None  # type: ignore[assignment]


class NewPasswordForm(forms.Form):
    """Choosing a password (after proving the email, or through a reset link)."""

    password = forms.CharField(
        label="Choose a password",
        help_text="At least 8 characters. You'll use it to see and change your bookings.",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_again = forms.CharField(
        label="Type the password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", "The two passwords are not the same.")
        return data


class CompleteSignupForm(NewPasswordForm):
    """The link's page: check the details given at sign-up, choose the password, and say
    whether the booking and its health answers are yours (only then are they used)."""

    given_name = forms.CharField(label="First name", max_length=100)
    family_name = forms.CharField(label="Last name", max_length=100)
    birth_date = forms.DateField(
        label="Your date of birth",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    phone = forms.CharField(label="Mobile number", required=False, max_length=40)
    booking_mine = forms.ChoiceField(
        label="Is this booking yours, and are these health answers yours?",
        help_text="Yes books it and keeps the answers as your health questions. "
        "No books nothing and throws the answers away.",
        choices=[("yes", "Yes — book it"), ("no", "No — don't book it")],
        widget=forms.RadioSelect,
    )

    field_order = [
        "given_name",
        "family_name",
        "birth_date",
        "phone",
        "booking_mine",
        "password",
        "password_again",
    ]

    def __init__(self, *args: Any, with_booking: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not with_booking:
            del self.fields["booking_mine"]


class ResetRequestForm(forms.Form):
    """Asking for a password-reset link."""

    email = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )


class LoginForm(forms.Form):
    """Client login by email and password."""

    email = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password = forms.CharField(
        label="Password", widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )

    def __init__(self, *args: Any, request: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request = request
        self.user: Any = None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        account = (
            ClientAccount.objects.filter(
                email=str(data.get("email", "")).strip().lower(), email_verified_at__isnull=False
            )
            .select_related("user")
            .first()
        )
        # An unknown email is still checked (and so counted towards the lockout of that
        # name and address, and audited as a failed login).
        user = authenticate(
            self.request,
            username=account.user.get_username() if account else str(data.get("email", "")),
            password=data.get("password", ""),
        )
        if user is None or account is None or user.pk != account.user_id:
            raise forms.ValidationError("That email and password don't match an account.")
        self.user = user
        return data


class ConsentForm(forms.Form):
    """Signing a consent form by typing one's name."""

    signed_name = forms.CharField(label="Type your full name to sign", max_length=200)
    accepted = forms.BooleanField(
        label="I have read and understood this form and I agree to the treatment"
    )
    photo_use = forms.BooleanField(
        label="You may use photos of my treatment (never showing my face without asking again)",
        required=False,
    )
    marketing = forms.BooleanField(label="Send me news and offers", required=False)
    form_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
