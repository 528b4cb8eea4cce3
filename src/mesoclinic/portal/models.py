"""Client accounts and online bookings waiting for an email confirmation.

A :class:`ClientAccount` is a login for a client (a Django user without any staff role).
It is linked to a :class:`~mesoclinic.people.models.Client` only once its email address is
verified: then it is matched to an existing client on verified email *and* date of birth,
or a new client is registered. Nothing is ever matched on an unverified email.

A :class:`PendingBooking` holds what a visitor chose on the public booking pages (treatment,
slot, their pre-screening answers and details) until they click the link in the
confirmation email; only then is the appointment booked, for the matched client.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from mesoclinic.catalogue.models import Treatment
from mesoclinic.people.models import Client, Practitioner, Site
from mesoclinic.scheduling.models import Appointment


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


class PendingBooking(models.Model):
    """An online booking waiting for its email confirmation (or already confirmed)."""

    account = models.ForeignKey(ClientAccount, on_delete=models.CASCADE, related_name="bookings")
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

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.treatment.code} at {self.start:%Y-%m-%d %H:%M} for {self.account.email}"
