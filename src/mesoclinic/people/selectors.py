"""Reads for people: client search, practitioners and their credentials."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from mesoclinic.core.errors import NotFound
from mesoclinic.core.lookups import IdLookup
from mesoclinic.people.models import ApiToken, Client, Practitioner, Role


def client_search(*, query: str = "", include_archived: bool = False) -> QuerySet[Client]:
    """Clients whose name, email or phone contains every word of ``query`` (archived
    clients only when asked for)."""
    clients = Client.objects.all()
    if not include_archived:
        clients = clients.filter(archived_at__isnull=True)
    for word in query.split():
        clients = clients.filter(
            Q(given_name__icontains=word)
            | Q(family_name__icontains=word)
            | Q(email__icontains=word)
            | Q(phone__icontains=word)
        )
    return clients.order_by("family_name", "given_name", "id")


def client_duplicates(
    *,
    given_name: str,
    family_name: str,
    birth_date: dt.date,
    email: str = "",
    phone: str = "",
    exclude: Client | None = None,
) -> list[Client]:
    """Clients who look like the same person: same name and birth date, same email, or
    the same phone number (digits compared), archived ones included."""
    given, family = " ".join(given_name.split()).lower(), " ".join(family_name.split()).lower()
    email, digits = email.strip().lower(), phone_digits(phone)
    found = Q(given_name__iexact=given, family_name__iexact=family, birth_date=birth_date)
    if email:
        found |= Q(email__iexact=email)
    if digits:
        found |= Q(phone__contains=digits[-4:])
    candidates = Client.objects.filter(found).order_by("family_name", "given_name", "id")
    if exclude is not None:
        candidates = candidates.exclude(pk=exclude.pk)

    def same_person(client: Client) -> bool:
        return (
            (client.given_name.lower(), client.family_name.lower(), client.birth_date)
            == (given, family, birth_date)
            or (bool(email) and client.email.lower() == email)
            or (bool(digits) and phone_digits(client.phone) == digits)
        )

    return [client for client in candidates[:50] if same_person(client)]


def phone_digits(phone: str) -> str:
    """The digits of a UK phone number, national form (``+44 7700…`` → ``07700…``)."""
    digits = "".join(ch for ch in phone if ch.isascii() and ch.isdigit())
    if digits.startswith("44") and len(digits) > 10:
        digits = "0" + digits[2:]
    return digits if len(digits) >= 6 else ""


_CLIENT = IdLookup(
    lambda: Client.objects.select_related("home_site"), code="client_not_found", noun="client"
)


def client_by_id(client_id: str | int) -> Client:
    """The client with this opaque id, or a 404 ``client_not_found``."""
    return _CLIENT.get(client_id)


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


@dataclass(frozen=True)
class StaffAccountRow:
    """One staff account as the settings list shows it."""

    user: Any
    roles: tuple[str, ...]
    practitioner: Practitioner | None


def staff_account_search(*, query: str = "", include_inactive: bool = True) -> QuerySet[Any]:
    """Staff accounts (a staff profile, or a Django superuser) whose username, name or
    email contains every word of ``query``, by name."""
    users = (
        get_user_model()
        .objects.filter(Q(staff_profile__isnull=False) | Q(is_superuser=True))
        .select_related("staff_profile", "practitioner")
    )
    if not include_inactive:
        users = users.filter(is_active=True)
    for word in query.split():
        users = users.filter(
            Q(username__icontains=word)
            | Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(email__icontains=word)
        )
    return users.order_by("last_name", "first_name", "username", "pk")


def staff_account_rows(users: Iterable[Any]) -> list[StaffAccountRow]:
    """The accounts with their stored roles (as ``roles`` reads them) and practitioner."""
    rows = []
    for user in users:
        profile = getattr(user, "staff_profile", None)
        practitioner = getattr(user, "practitioner", None)
        roles = []
        if user.is_superuser or (profile is not None and profile.is_admin):
            roles.append(Role.ADMIN.label)
        if practitioner is not None and practitioner.active:
            roles.append(Role.PRACTITIONER.label)
        if profile is not None and profile.is_reception:
            roles.append(Role.RECEPTION.label)
        rows.append(StaffAccountRow(user, tuple(roles), practitioner))
    return rows


def staff_account_get(*, user_id: int) -> Any:
    """The staff account with this id, or a 404 ``staff_account_not_found``."""
    user = staff_account_search().filter(pk=user_id).first()
    if user is None:
        raise NotFound("staff_account_not_found", "There is no such staff account.")
    return user
