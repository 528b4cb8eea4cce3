"""Client accounts, sign-up requests, one-time links, and bookings waiting for an email.

Identity rule: only whoever proves the email address chooses the password. A visitor's
sign-up is a :class:`SignupRequest` (name, date of birth, phone, maybe a booking) with no
password; its emailed :class:`PortalLink` opens a page where the link holder reviews those
details, chooses the password and says whether the booking and health answers are theirs.
Only then is the :class:`ClientAccount` (a Django user without any staff role) created,
verified, and matched to a :class:`~mesoclinic.people.models.Client` on verified email *and*
date of birth (or a new client registered). Each sign-up is its own request, so a second
sign-up for the same address changes nothing the first one's link holder sees.

A :class:`PortalLink` is single-use and short-lived; only the SHA-256 of its token is kept,
and the token itself is made when the email is sent (the message log keeps a redacted body).

A :class:`PendingBooking` holds what a visitor chose on the public booking pages (treatment,
slot, their pre-screening answers) until the email's owner confirms it; only then is the
appointment booked and the answers recorded, for the matched client. Meanwhile its
``hold`` (a :class:`~mesoclinic.scheduling.models.SlotHold`) keeps the slot from everyone
else for ``PORTAL_HOLD_MINUTES``, and the emailed link works no longer than that.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from mesoclinic.catalogue.models import Treatment
from mesoclinic.people.models import Client, Practitioner, Site
from mesoclinic.scheduling.models import Appointment, SlotHold


class ClientAccount(models.Model):
    """A client's login. ``client`` is set when the email is verified and matched."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="client_account"
    )
    client = models.OneToOneField(
        Client, null=True, blank=True, on_delete=models.PROTECT, related_name="account"
    )
    email = models.EmailField(unique=True)
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    birth_date = models.DateField()
    phone = models.CharField(max_length=40, blank=True)
    email_verified_at = models.DateTimeField(null=True, blank=True)
    matched_existing = models.BooleanField(
        default=False, help_text="Linked to a client who was already on file."
    )
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.email} ({'verified' if self.email_verified_at else 'unverified'})"

    @property
    def verified(self) -> bool:
        return self.email_verified_at is not None


class SignupRequest(models.Model):
    """What a visitor typed when signing up (never a password): used only if the email's
    owner completes it through its link."""

    email = models.EmailField(db_index=True)
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    birth_date = models.DateField()
    phone = models.CharField(max_length=40, blank=True)
    site = models.ForeignKey(
        Site, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    account = models.ForeignKey(
        ClientAccount, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Sign-up {self.email} ({'completed' if self.completed_at else 'open'})"


class LinkPurpose(models.TextChoices):
    VERIFY = "verify", "Email verification"
    RESET = "reset", "Password reset"
    OFFER = "offer", "Waiting-list offer"


class PortalLink(models.Model):
    """A single-use, short-lived emailed link; only its token's SHA-256 is stored.

    ``token_hash`` is empty until the email is sent (the token is made at send time). Its
    subject is a sign-up (``verify``), an account (``reset``) or a waiting-list offer's
    ``hold`` (``offer``: the link shows that offer, and dies with it).
    """

    purpose = models.CharField(max_length=8, choices=LinkPurpose.choices)
    signup = models.ForeignKey(
        SignupRequest, null=True, blank=True, on_delete=models.CASCADE, related_name="links"
    )
    account = models.ForeignKey(
        ClientAccount, null=True, blank=True, on_delete=models.CASCADE, related_name="links"
    )
    hold = models.ForeignKey(
        SlotHold, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(purpose="verify", signup__isnull=False)
                | models.Q(purpose="reset", account__isnull=False)
                | models.Q(purpose="offer", hold__isnull=False),
                name="portal_link_has_subject",
            )
        ]

    def __str__(self) -> str:
        return f"{self.purpose} link {self.pk} ({'used' if self.used_at else 'open'})"


class PendingBooking(models.Model):
    """An online booking waiting for its email confirmation (or already confirmed)."""

    account = models.ForeignKey(
        ClientAccount, null=True, blank=True, on_delete=models.CASCADE, related_name="bookings"
    )
    signup = models.ForeignKey(
        SignupRequest, null=True, blank=True, on_delete=models.CASCADE, related_name="bookings"
    )
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    treatment = models.ForeignKey(Treatment, on_delete=models.PROTECT, related_name="+")
    practitioner = models.ForeignKey(
        Practitioner, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    start = models.DateTimeField()
    answers = models.JSONField(default=dict)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    failure = models.CharField(max_length=300, blank=True)
    hold = models.ForeignKey(
        SlotHold,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The slot kept for the visitor until they confirm (``expires_at``).",
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        who = self.signup.email if self.signup else self.account.email if self.account else "?"
        return f"{self.treatment.code} at {self.start:%Y-%m-%d %H:%M} for {who}"
