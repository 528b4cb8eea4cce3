"""Writes for people: clients, staff users and API tokens. Every write is audited."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Collection
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from mesoclinic.core import clock, validation
from mesoclinic.core.audit import Actor, audit_record
from mesoclinic.core.compiled import CompiledQuery
from mesoclinic.core.errors import Conflict, InvalidInput, NotFound
from mesoclinic.people.errors import PeopleErrorCode as Code
from mesoclinic.people.models import ApiToken, Client, Practitioner, Role, Sex, Site, StaffProfile
from mesoclinic.people.roles import forget, roles_from_codes

OLDEST_CLIENT_YEARS = 120
TOKEN_PREFIX = "mc_"  # noqa: S105 -- a public marker on every token, not a secret
TOKEN_SHOWN_CHARS = 10  # ApiToken.prefix: enough to tell a user's tokens apart
MIN_TOKEN_DAYS = 1
MAX_TOKEN_DAYS = 366


def _clean_name(value: str, field: str) -> str:
    cleaned = " ".join(value.split())
    if not cleaned:
        raise InvalidInput(
            Code.INVALID_INPUT,
            f"{field.replace('_', ' ').capitalize()} is required.",
            details={"field": field},
        )
    return cleaned


def _check_birth_date(birth_date: dt.date) -> None:
    """A birth date that can be a living client's: not in the future, not over
    OLDEST_CLIENT_YEARS ago (``invalid_birth_date``: 422 for a date a rule refuses, 400
    outside the years 1900-2100)."""
    today = clock.today()
    if birth_date > today:
        raise validation.date_refusal(birth_date)(
            Code.INVALID_BIRTH_DATE,
            "The birth date is in the future.",
            details={"field": "birth_date"},
        )
    if today.year - birth_date.year > OLDEST_CLIENT_YEARS:
        raise validation.date_refusal(birth_date)(
            Code.INVALID_BIRTH_DATE,
            f"The birth date is more than {OLDEST_CLIENT_YEARS} years ago.",
            details={"field": "birth_date"},
        )


def client_create(
    *,
    actor: Actor,
    given_name: str,
    family_name: str,
    birth_date: dt.date,
    email: str = "",
    phone: str = "",
    sex: str = Sex.UNKNOWN,
    home_site: Site | None = None,
) -> Client:
    """Register a client after validating names, birth date, contact details and sex;
    audited. (Pages check ``client_duplicates`` first and ask.)"""
    fields = _client_fields(
        given_name=given_name,
        family_name=family_name,
        birth_date=birth_date,
        email=email,
        phone=phone,
        sex=sex,
    )
    with transaction.atomic():
        client = Client.objects.create(**fields, home_site=home_site, created_at=clock.now())
        audit_record(
            actor=actor,
            action="client.create",
            obj=client,
            client_id=client.pk,
            summary=f"Registered {client.full_name}",
        )
    return client


CLIENT_FIELDS = ("given_name", "family_name", "birth_date", "email", "phone", "sex")
"""What staff may change about a client (``client_update``)."""


def _client_fields(
    *, given_name: str, family_name: str, birth_date: dt.date, email: str, phone: str, sex: str
) -> dict[str, object]:
    """The validated, normalised values of a client's details."""
    _check_birth_date(birth_date)
    if sex not in Sex.values:
        raise InvalidInput(
            Code.INVALID_SEX,
            f"Sex must be one of {', '.join(Sex.values)}.",
            details={"field": "sex"},
        )
    email = email.strip().lower()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise InvalidInput(
                Code.INVALID_EMAIL,
                f"{email!r} is not an email address.",
                details={"field": "email"},
            ) from None
    return {
        "given_name": _clean_name(given_name, "given_name"),
        "family_name": _clean_name(family_name, "family_name"),
        "birth_date": birth_date,
        "email": email,
        "phone": " ".join(phone.split()),
        "sex": sex,
    }


def client_update(*, actor: Actor, client: Client, **changes: Any) -> Client:
    """Change any of ``CLIENT_FIELDS``; validated as at registration, audited with the
    names of the fields that changed (not their values)."""
    unknown = set(changes) - set(CLIENT_FIELDS)
    if unknown:
        raise InvalidInput(Code.INVALID_INPUT, f"Unknown fields: {', '.join(sorted(unknown))}.")
    current = {field: getattr(client, field) for field in CLIENT_FIELDS}
    fields = _client_fields(**(current | changes))
    changed = sorted(field for field, value in fields.items() if current[field] != value)
    if not changed:
        return client
    with transaction.atomic():
        for field in changed:
            setattr(client, field, fields[field])
        client.save(update_fields=changed)
        audit_record(
            actor=actor,
            action="client.update",
            obj=client,
            client_id=client.pk,
            summary=f"Changed {', '.join(changed)}",
            data={"fields": changed},
        )
    return client


def client_archive(*, actor: Actor, client: Client, archived: bool = True) -> Client:
    """Archive a client (out of searches and booking lists; nothing is deleted), or bring
    them back; audited."""
    if (client.archived_at is not None) == archived:
        return client
    with transaction.atomic():
        client.archived_at = clock.now() if archived else None
        client.save(update_fields=["archived_at"])
        audit_record(
            actor=actor,
            action="client.archive" if archived else "client.restore",
            obj=client,
            client_id=client.pk,
            summary=f"{'Archived' if archived else 'Restored'} {client.full_name}",
        )
    return client


def client_merge(*, actor: Actor, keep: Client, duplicate: Client) -> Client:
    """Move everything linked to ``duplicate`` onto ``keep``, then archive ``duplicate``.

    Every foreign key to a client (appointments, courses, records, questionnaires,
    consents, messages, payments …) moves in one transaction; nothing is deleted. Refused
    with 409 ``merge_refused`` when both records hold a one-per-client link (a portal
    account) or have appointments at the same time.
    """
    if keep.pk == duplicate.pk:
        raise InvalidInput(Code.MERGE_REFUSED, "Choose two different client records to merge.")
    try:
        with transaction.atomic():
            moved = {
                relation.related_model._meta.label: count
                for relation in _client_links()
                if (count := _move_links(relation, source=duplicate, target=keep))
            }
            duplicate.archived_at = clock.now()
            duplicate.notes = f"{duplicate.notes}\nMerged into client {keep.pk}.".strip()
            duplicate.save(update_fields=["archived_at", "notes"])
            audit_record(
                actor=actor,
                action="client.merge",
                obj=keep,
                client_id=keep.pk,
                summary=f"Merged client {duplicate.pk} ({duplicate.full_name}) into this record",
                data={"duplicate": duplicate.pk, "moved": moved},
            )
    except IntegrityError:
        raise Conflict(
            Code.MERGE_REFUSED,
            "Both records have appointments at the same time; cancel one of them first.",
        ) from None
    return keep


def _client_links() -> list[Any]:
    """Every foreign key (and one-to-one) from another model to ``Client``."""
    return [
        relation
        for relation in Client._meta.related_objects
        if relation.concrete and not relation.many_to_many
    ]


def _move_links(relation: Any, *, source: Client, target: Client) -> int:
    """Point ``relation``'s rows from ``source`` at ``target``; the number moved."""
    rows = relation.related_model._default_manager.filter(**{relation.field.name: source})
    if relation.one_to_one and rows.exists():
        taken = relation.related_model._default_manager.filter(**{relation.field.name: target})
        if taken.exists():
            raise Conflict(
                Code.MERGE_REFUSED,
                f"Both records have a {relation.related_model._meta.verbose_name}; "
                "close one of them first.",
            )
    return int(rows.update(**{relation.field.name: target}))


def staff_user_ensure(
    *,
    username: str,
    password: str,
    roles: Collection[str],
    practitioner: Practitioner | None = None,
    site: Site | None = None,
    email: str = "",
) -> AbstractBaseUser:
    """Create or update a staff user holding ``roles`` (idempotent; used by the demo and
    admins). The practitioner role needs ``practitioner``, the record the user acts as."""
    try:
        held = roles_from_codes(roles)
    except ValueError as error:
        raise InvalidInput("invalid_role", str(error)) from None
    if (Role.PRACTITIONER in held) != (practitioner is not None):
        raise InvalidInput(
            "invalid_role", "The practitioner role goes with a practitioner record, and only it."
        )
    user_model = get_user_model()
    with transaction.atomic():
        user, created = user_model.objects.get_or_create(username=username)
        # Django admin is the administrators' tool; clinical models in it still ask roles.
        user.is_staff = Role.ADMIN in held
        user.is_superuser = Role.ADMIN in held
        if created or not user.check_password(password):
            user.set_password(password)
        if email:
            user.email = email
        user.save()
        StaffProfile.objects.update_or_create(
            user=user,
            defaults={
                "is_admin": Role.ADMIN in held,
                "is_reception": Role.RECEPTION in held,
                "default_site": site,
            },
        )
        if practitioner is not None and practitioner.user_id != user.pk:
            practitioner.user = user
            practitioner.save(update_fields=["user"])
    forget(user)
    return user


def _digest(raw_token: str) -> str:
    return hashlib.sha256(raw_token.encode()).hexdigest()


def api_token_create(*, username: str, days: int | None = None) -> str:
    """Issue a new API token for a staff user and return it; only its digest is stored.

    It works for ``days`` (default ``MESOCLINIC_API_TOKEN_DAYS``, 90): a token copied into a
    script should not outlive the reason it was made.
    """
    lifetime = int(str(settings.MESOCLINIC.get("API_TOKEN_DAYS", 90))) if days is None else days
    if not MIN_TOKEN_DAYS <= lifetime <= MAX_TOKEN_DAYS:
        raise InvalidInput(
            "invalid_token_days",
            f"A token lasts from {MIN_TOKEN_DAYS} to {MAX_TOKEN_DAYS} days.",
            details={"field": "days"},
        )
    user_model = get_user_model()
    try:
        user = user_model.objects.get(username=username, is_active=True)
    except user_model.DoesNotExist:
        raise NotFound("unknown_user", f"No active user named {username!r}.") from None
    if not hasattr(user, "staff_profile") and not user.is_superuser:
        raise InvalidInput("not_staff", f"{username!r} is not a staff user.")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = clock.now()
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            digest=_digest(raw),
            prefix=raw[:TOKEN_SHOWN_CHARS],
            created_at=now,
            expires_at=now + dt.timedelta(days=lifetime),
        )
        audit_record(
            actor=user,
            action="api_token.create",
            obj=token,
            summary=f"Token {token.prefix}… for {lifetime} days",
            data={"username": username, "prefix": token.prefix, "days": lifetime},
        )
    return raw


def api_token_revoke(*, actor: Actor, prefix: str) -> ApiToken:
    """Revoke the one live token starting with ``prefix`` (as ``token list`` shows it, or
    the whole token); refuse an unknown or ambiguous prefix."""
    prefix = prefix.strip().rstrip("…")
    if len(prefix) < len(TOKEN_PREFIX) + 4:
        raise InvalidInput(
            "invalid_token_prefix", "Give at least the first 7 characters of the token."
        )
    now = clock.now()
    with transaction.atomic():
        live = ApiToken.objects.select_for_update().filter(
            revoked_at__isnull=True, expires_at__gt=now
        )
        if len(prefix) > TOKEN_SHOWN_CHARS:
            live = live.filter(digest=_digest(prefix))  # the whole token was given
        else:
            live = live.filter(prefix__startswith=prefix)
        candidates = list(live.select_related("user")[:2])
        if not candidates:
            raise NotFound(
                "unknown_token", f"No live token starts with {prefix[:TOKEN_SHOWN_CHARS]!r}."
            )
        if len(candidates) > 1:
            raise InvalidInput(
                "ambiguous_token",
                f"Several live tokens start with {prefix!r}; give the whole token.",
            )
        token = candidates[0]
        token.revoked_at = now
        token.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor,
            action="api_token.revoke",
            obj=token,
            summary=f"Revoked token {token.prefix}… of {token.user.get_username()}",
            data={"username": token.user.get_username(), "prefix": token.prefix},
        )
    return token


def api_token_revoke_all(*, actor: Actor, username: str) -> int:
    """Revoke every live token of ``username`` (a lost laptop, a leaver); returns how many."""
    user_model = get_user_model()
    user = user_model.objects.filter(username=username).first()
    if user is None:
        raise NotFound("unknown_user", f"No user named {username!r}.")
    now = clock.now()
    with transaction.atomic():
        revoked = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=now)
        audit_record(
            actor=actor,
            action="api_token.revoke_all",
            obj=user,
            summary=f"Revoked {revoked} token(s) of {username}",
            data={"username": username, "revoked": revoked},
        )
    return revoked


def _live_token_queryset(digest: str, now: dt.datetime) -> QuerySet[ApiToken]:
    """The live token with ``digest``, its user joined in with what ``people.roles``
    reads of them (staff profile, practitioner), so checking a request's roles costs no
    query of its own."""
    return ApiToken.objects.select_related("user__staff_profile", "user__practitioner").filter(
        digest=digest, revoked_at__isnull=True, expires_at__gt=now, user__is_active=True
    )[:1]


_LIVE_TOKEN = CompiledQuery(_live_token_queryset)


def api_token_user(raw_token: str) -> AbstractBaseUser | None:
    """The active user a presented token belongs to, or None. Marks the token used.

    Checked on every request: not revoked, not expired, and the user still active, so
    deactivating a user stops their tokens at once.
    """
    now = clock.now()
    found: list[ApiToken] = _LIVE_TOKEN.objects(digest=_digest(raw_token), now=now)
    if not found:  # unknown, revoked, expired, or its user deactivated
        return None
    token = found[0]
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
