"""Writes for staff accounts, made by the clinic's administrators in the settings: create an
account with its roles and a temporary password, change its details and roles, reset its
password, deactivate it (never delete: its name stays on the audit trail and the records
it signed).

Roles are what :mod:`mesoclinic.people.roles` reads: the ``admin`` and ``reception`` flags
of the :class:`StaffProfile`, and ``practitioner`` as an active practitioner record linked
to the user. The clinic always keeps one active administrator: removing or demoting the
last one is refused (422 ``last_admin``). Every change is one audited transaction.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q

from mesoclinic.core.audit import Actor, audit_record
from mesoclinic.core.errors import Conflict, InvalidInput, RuleRefused
from mesoclinic.people.errors import PeopleErrorCode as Code
from mesoclinic.people.models import Practitioner, Role, Site, StaffProfile
from mesoclinic.people.practitioner_services import practitioner_create
from mesoclinic.people.roles import forget, roles_from_codes

TEMPORARY_PASSWORD_BYTES = 12  # 16 URL-safe characters: read out or typed once
MAX_USERNAME = 150
MAX_NAME = 150


def _admin_users() -> Q:
    return Q(is_superuser=True) | Q(staff_profile__is_admin=True)


def roles_held(user: Any) -> frozenset[Role]:
    """The roles stored for ``user``, active or not (an inactive account holds them but
    may use none: :func:`mesoclinic.people.roles.staff_member` says what it may do now)."""
    profile = StaffProfile.objects.filter(user_id=user.pk).first()
    roles: set[Role] = set()
    if user.is_superuser or (profile is not None and profile.is_admin):
        roles.add(Role.ADMIN)
    if profile is not None and profile.is_reception:
        roles.add(Role.RECEPTION)
    if Practitioner.objects.filter(user_id=user.pk, active=True).exists():
        roles.add(Role.PRACTITIONER)
    return frozenset(roles)


def _check_keeps_an_admin(user: Any, *, losing: str) -> None:
    """Refuse (422 ``last_admin``) when ``user`` is the only active administrator.

    The administrators' rows are locked first, so two administrators demoting each other
    at once cannot both succeed.
    """
    admins = (
        get_user_model()
        .objects.select_for_update(of=("self",))
        .filter(_admin_users(), is_active=True)
    )
    others = [pk for pk in admins.values_list("pk", flat=True) if pk != user.pk]
    if not others:
        raise RuleRefused(
            Code.LAST_ADMIN,
            f"{user.get_username()} is the clinic's only active administrator: make someone "
            f"else an administrator before {losing}.",
            details={"field": "roles", "username": user.get_username()},
        )


def _clean_text(value: str, field: str, label: str, *, required: bool = True) -> str:
    cleaned = " ".join(value.split())
    if required and not cleaned:
        raise InvalidInput(Code.INVALID_INPUT, f"{label} is required.", details={"field": field})
    if len(cleaned) > MAX_NAME:
        raise InvalidInput(
            Code.INVALID_INPUT,
            f"{label}: at most {MAX_NAME} characters.",
            details={"field": field},
        )
    return cleaned


def _clean_email(email: str) -> str:
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
    return email


def _clean_username(username: str) -> str:
    username = username.strip()
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError:
        username = ""
    if not username or len(username) > MAX_USERNAME:
        raise InvalidInput(
            Code.INVALID_INPUT,
            "A username is letters, digits and @ . + - _ only, up to 150 characters.",
            details={"field": "username"},
        )
    if get_user_model().objects.filter(username__iexact=username).exists():
        raise Conflict(
            Code.USERNAME_TAKEN,
            f"The username {username!r} is taken: choose another.",
            details={"field": "username"},
        )
    return username


def _clean_roles(codes: Collection[str]) -> frozenset[Role]:
    try:
        roles = roles_from_codes(codes)
    except ValueError as error:
        raise InvalidInput(Code.INVALID_ROLE, str(error), details={"field": "roles"}) from None
    if not roles:
        raise InvalidInput(
            Code.INVALID_ROLE, "Give the account at least one role.", details={"field": "roles"}
        )
    return roles


def _practitioner_for(
    *,
    actor: Actor,
    user: Any,
    roles: frozenset[Role],
    practitioner: Practitioner | None,
    new_profession: str,
    names: tuple[str, str],
) -> Practitioner | None:
    """The practitioner record the account acts as: the one given (not another account's),
    a new one of ``new_profession``, or none when the account is not a practitioner."""
    if Role.PRACTITIONER not in roles:
        return None
    if practitioner is None and new_profession:
        return practitioner_create(
            actor=actor, given_name=names[0], family_name=names[1], profession=new_profession
        )
    if practitioner is None:
        raise InvalidInput(
            Code.INVALID_ROLE,
            "A practitioner account acts as a practitioner record: choose one, or make a new "
            "one with its profession.",
            details={"field": "practitioner"},
        )
    if practitioner.user_id is not None and practitioner.user_id != user.pk:
        raise Conflict(
            Code.PRACTITIONER_TAKEN,
            f"{practitioner.display_name} already has another staff account.",
            details={"field": "practitioner"},
        )
    if not practitioner.active:
        raise InvalidInput(
            Code.INVALID_ROLE,
            f"{practitioner.display_name} is not active: make the record active first.",
            details={"field": "practitioner"},
        )
    return practitioner


def _link_practitioner(user: Any, practitioner: Practitioner | None) -> None:
    """Point ``user`` at ``practitioner`` (or at none); an earlier link is undone, the
    practitioner record itself stays."""
    earlier = Practitioner.objects.filter(user_id=user.pk)
    if practitioner is not None:
        earlier = earlier.exclude(pk=practitioner.pk)
    earlier.update(user=None)
    if practitioner is not None and practitioner.user_id != user.pk:
        practitioner.user = user
        practitioner.save(update_fields=["user"])


def _store_roles(user: Any, roles: frozenset[Role], site: Site | None = None) -> None:
    # Django admin is the administrators' tool (as for ``staff_user_ensure``).
    user.is_staff = user.is_superuser = Role.ADMIN in roles
    defaults: dict[str, Any] = {
        "is_admin": Role.ADMIN in roles,
        "is_reception": Role.RECEPTION in roles,
    }
    if site is not None:
        defaults["default_site"] = site
    StaffProfile.objects.update_or_create(user=user, defaults=defaults)


def _temporary_password() -> str:
    return secrets.token_urlsafe(TEMPORARY_PASSWORD_BYTES)


def staff_account_create(
    *,
    actor: Actor,
    username: str,
    given_name: str,
    family_name: str,
    email: str = "",
    roles: Collection[str],
    practitioner: Practitioner | None = None,
    new_practitioner_profession: str = "",
    site: Site | None = None,
) -> tuple[Any, str]:
    """Open a staff account with ``roles`` and return it with a temporary password, shown
    once to the administrator to pass on; only its Argon2 hash is stored.

    The practitioner role needs the practitioner record the account acts as: an existing
    one without an account (409 ``practitioner_taken`` otherwise), or a new one made here
    with ``new_practitioner_profession``.
    """
    names = (
        _clean_text(given_name, "given_name", "First name"),
        _clean_text(family_name, "family_name", "Last name"),
    )
    email = _clean_email(email)
    held = _clean_roles(roles)
    password = _temporary_password()
    try:
        with transaction.atomic():
            user = get_user_model()(
                username=_clean_username(username),
                first_name=names[0],
                last_name=names[1],
                email=email,
            )
            user.set_password(password)
            user.is_staff = user.is_superuser = Role.ADMIN in held
            user.save()
            _store_roles(user, held, site)
            linked = _practitioner_for(
                actor=actor,
                user=user,
                roles=held,
                practitioner=practitioner,
                new_profession=new_practitioner_profession,
                names=names,
            )
            _link_practitioner(user, linked)
            audit_record(
                actor=actor,
                action="staff.create",
                obj=user,
                summary=f"Opened {user.get_username()} ({', '.join(sorted(held))})",
                data={
                    "username": user.get_username(),
                    "roles": sorted(held),
                    "practitioner": linked.code if linked else None,
                },
            )
    except IntegrityError:
        raise Conflict(
            Code.USERNAME_TAKEN,
            f"The username {username.strip()!r} is taken: choose another.",
            details={"field": "username"},
        ) from None
    return user, password


def staff_account_update(
    *,
    actor: Actor,
    user: Any,
    given_name: str,
    family_name: str,
    email: str,
    roles: Collection[str],
    practitioner: Practitioner | None = None,
    new_practitioner_profession: str = "",
) -> list[str]:
    """Change an account's name, email, roles and practitioner record; returns what
    changed (names of fields, not values). Taking the admin role from the last active
    administrator is refused (422 ``last_admin``)."""
    names = (
        _clean_text(given_name, "given_name", "First name"),
        _clean_text(family_name, "family_name", "Last name"),
    )
    email = _clean_email(email)
    held = _clean_roles(roles)
    before = roles_held(user)
    current = Practitioner.objects.filter(user_id=user.pk).first()
    with transaction.atomic():
        if Role.ADMIN in before and Role.ADMIN not in held and user.is_active:
            _check_keeps_an_admin(user, losing="taking the role away")
        linked = _practitioner_for(
            actor=actor,
            user=user,
            roles=held,
            practitioner=practitioner,
            new_profession=new_practitioner_profession,
            names=names,
        )
        details = {"first_name": names[0], "last_name": names[1], "email": email}
        changed = [field for field, value in details.items() if getattr(user, field) != value]
        if held != before:
            changed.append("roles")
        if (linked.pk if linked else None) != (current.pk if current else None):
            changed.append("practitioner")
        if not changed:
            return []
        for field, value in details.items():
            setattr(user, field, value)
        _store_roles(user, held)
        user.save()
        _link_practitioner(user, linked)
        audit_record(
            actor=actor,
            action="staff.update",
            obj=user,
            summary=f"Changed {', '.join(changed)} of {user.get_username()}",
            data={
                "fields": changed,
                "roles": {"from": sorted(before), "to": sorted(held)},
                "practitioner": linked.code if linked else None,
            },
        )
    _forget_roles(user, actor)
    return changed


def staff_account_set_active(*, actor: Actor, user: Any, active: bool) -> None:
    """Deactivate an account (it can no longer sign in; its sessions and API tokens stop at
    once; nothing is deleted), or activate it again. An administrator cannot deactivate
    their own account (422 ``own_account``), nor the last active administrator (422
    ``last_admin``)."""
    if user.is_active == active:
        return
    if not active and getattr(actor, "pk", None) == user.pk:
        raise RuleRefused(
            Code.OWN_ACCOUNT,
            "You cannot deactivate your own account: ask another administrator.",
        )
    with transaction.atomic():
        if not active and Role.ADMIN in roles_held(user):
            _check_keeps_an_admin(user, losing="deactivating the account")
        user.is_active = active
        user.save(update_fields=["is_active"])
        audit_record(
            actor=actor,
            action="staff.activate" if active else "staff.deactivate",
            obj=user,
            summary=f"{'Activated' if active else 'Deactivated'} {user.get_username()}",
            data={"username": user.get_username()},
        )
    _forget_roles(user, actor)


def staff_password_reset(*, actor: Actor, user: Any) -> str:
    """Give an account a new temporary password (returned once; the old one stops
    working at once); audited without the password."""
    password = _temporary_password()
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        audit_record(
            actor=actor,
            action="staff.password_reset",
            obj=user,
            summary=f"New temporary password for {user.get_username()}",
            data={"username": user.get_username()},
        )
    return password


def _forget_roles(user: Any, actor: Actor) -> None:
    forget(user)
    if actor is not None and getattr(actor, "pk", None) == user.pk:
        forget(actor)


def staff_password_change(*, user: Any, password: str) -> None:
    """A staff member sets their own password (after a temporary one, or any time); the
    page has checked the current password and the clinic's password rules. Audited
    without the password."""
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        audit_record(
            actor=user,
            action="staff.password_change",
            obj=user,
            summary=f"{user.get_username()} changed their password",
            data={"username": user.get_username()},
        )
