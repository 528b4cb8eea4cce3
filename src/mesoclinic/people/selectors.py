"""Reads for people: client search, practitioners and their credentials."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from mesoclinic.core.lookups import get_by_opaque_id
from mesoclinic.people.models import ApiToken, Client, Practitioner


def client_search(*, query: str = "") -> QuerySet[Client]:
    """Clients whose name, email or phone contains every word of ``query``."""
    clients = Client.objects.all()
    for word in query.split():
        clients = clients.filter(
            Q(given_name__icontains=word)
            | Q(family_name__icontains=word)
            | Q(email__icontains=word)
            | Q(phone__icontains=word)
        )
    return clients.order_by("family_name", "given_name", "id")


def client_by_id(client_id: str | int) -> Client:
    """The client with this opaque id, or a 404 ``client_not_found``."""
    return get_by_opaque_id(
        Client.objects.select_related("home_site"),
        client_id,
        code="client_not_found",
        noun="client",
    )


def practitioner_list(*, active_only: bool = True) -> QuerySet[Practitioner]:
    """Practitioners in name order."""
    practitioners = Practitioner.objects.all()
    if active_only:
        practitioners = practitioners.filter(active=True)
    return practitioners.order_by("family_name", "given_name")


@dataclass(frozen=True)
class CredentialStatus:
    """One dated credential of a practitioner and how it stands on a given day."""

    practitioner: Practitioner
    credential: str
    expires_on: dt.date
    days_left: int

    @property
    def expired(self) -> bool:
        return self.days_left < 0


CREDENTIAL_FIELDS = {
    "registration_expires_on": "Professional registration",
    "prescriber_expires_on": "Prescribing qualification",
    "insurance_expires_on": "Indemnity insurance",
    "licence_expires_on": "Practitioner licence",
}


def credential_statuses(*, on: dt.date, within_days: int = 60) -> list[CredentialStatus]:
    """Credentials expired by ``on`` or expiring within ``within_days``, soonest first."""
    horizon = on + dt.timedelta(days=within_days)
    statuses = []
    for practitioner in practitioner_list():
        for field, label in CREDENTIAL_FIELDS.items():
            expires_on = getattr(practitioner, field)
            if expires_on is not None and expires_on <= horizon:
                statuses.append(
                    CredentialStatus(practitioner, label, expires_on, (expires_on - on).days)
                )
    return sorted(statuses, key=lambda status: (status.expires_on, status.practitioner.code))


def api_tokens_live(*, username: str | None = None) -> QuerySet[ApiToken]:
    """Tokens that still work (not revoked, not expired), newest first, for ``token list``."""
    from mesoclinic.core import clock

    tokens = ApiToken.objects.select_related("user").filter(
        revoked_at__isnull=True, expires_at__gt=clock.now()
    )
    if username:
        tokens = tokens.filter(user__username=username)
    return tokens.order_by("-created_at")
