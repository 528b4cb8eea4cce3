"""Who may do what: the one owner of staff roles and access rules.

The API, the web pages, the exports, the templates and Django admin all ask this module;
nothing else decides access. See "Who may do what" in the API contract:

- three staff roles, and a user may hold several: ``reception`` (the front desk),
  ``admin`` (the clinic manager: configuration, staff, stock, reports, audit; no clinical
  content) and ``practitioner`` (everything reception may, plus clinical content);
- clinical content is for practitioners only (403 ``clinical_access_required``);
- object rules (the treating practitioner writes and signs, a prescriber prescribes only in
  their own name, absences are the manager's or the practitioner's own) hold for every
  role, ``admin`` included.

A user's roles are stored as flags on their :class:`StaffProfile` (``is_admin``,
``is_reception``); the practitioner role is having an active :class:`Practitioner` record
linked to the user, so the role and the credentials it rests on cannot disagree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from mesoclinic.core.errors import PermissionDenied
from mesoclinic.people.models import NotesReaders, Practitioner, Role


class AccessError(StrEnum):
    """Why access was refused (the ``code`` of a 403)."""

    STAFF_ACCESS_REQUIRED = "staff_access_required"
    CLINICAL_ACCESS_REQUIRED = "clinical_access_required"
    ADMIN_ACCESS_REQUIRED = "admin_access_required"
    NOT_TREATING_PRACTITIONER = "not_treating_practitioner"
    NOT_OWN_PRESCRIPTION = "not_own_prescription"
    NOT_OWN_CALENDAR = "not_own_calendar"
    PRACTITIONER_REQUIRED = "practitioner_required"
    PRACTITIONER_NOT_QUALIFIED = "practitioner_not_qualified"
    NOT_SUPERVISOR = "not_supervisor"


class Access(StrEnum):
    """What a route or page needs. Every route and page is classified as one of these."""

    PUBLIC = "public"  # anyone, signed in or not
    STAFF = "staff"  # any staff role: the front desk's work
    CLINICAL = "clinical"  # clinical content: practitioners only
    ADMIN = "admin"  # configuration, staff, stock, reports, audit
    PORTAL = "portal"  # a client's own data, through their portal account


@dataclass(frozen=True, slots=True)
class StaffMember:
    """A signed-in user's roles and, for a practitioner, their practitioner record."""

    roles: frozenset[Role]
    practitioner: Practitioner | None

    @property
    def is_staff(self) -> bool:
        return bool(self.roles)

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in self.roles

    @property
    def is_practitioner(self) -> bool:
        return Role.PRACTITIONER in self.roles

    @property
    def sees_clinical(self) -> bool:
        return self.is_practitioner


NOBODY = StaffMember(roles=frozenset(), practitioner=None)
_CACHE_ATTRIBUTE = "_mesoclinic_staff_member"


def staff_member(user: Any) -> StaffMember:
    """The roles ``user`` holds now (remembered on the user object for the request)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return NOBODY
    cached = getattr(user, _CACHE_ATTRIBUTE, None)
    if cached is not None:
        return cached
    member = _load_staff_member(user)
    setattr(user, _CACHE_ATTRIBUTE, member)
    return member


def _load_staff_member(user: Any) -> StaffMember:
    roles: set[Role] = set()
    profile = getattr(user, "staff_profile", None)
    if user.is_superuser or (profile is not None and profile.is_admin):
        roles.add(Role.ADMIN)
    if profile is not None and profile.is_reception:
        roles.add(Role.RECEPTION)
    practitioner = _active_practitioner(user)
    if practitioner is not None:
        roles.add(Role.PRACTITIONER)
    return StaffMember(roles=frozenset(roles), practitioner=practitioner)


def _active_practitioner(user: Any) -> Practitioner | None:
    """The user's practitioner if active: joined in by the API token lookup, else read."""
    if Practitioner.user.field.remote_field.is_cached(user):
        practitioner: Practitioner | None = getattr(user, "practitioner", None)
        return practitioner if practitioner is not None and practitioner.active else None
    return Practitioner.objects.filter(user_id=user.pk, active=True).first()


def forget(user: Any) -> None:
    """Drop the remembered roles of ``user`` (after its roles or practitioner changed)."""
    if hasattr(user, _CACHE_ATTRIBUTE):
        delattr(user, _CACHE_ATTRIBUTE)


def role_names(user: Any) -> list[str]:
    """The user's roles as sorted codes, for headers, audit entries and the demo list."""
    return sorted(str(role) for role in staff_member(user).roles)


# --- Route classes --------------------------------------------------------------------------


def has_access(user: Any, access: Access) -> bool:
    """Whether ``user`` may use a route or page classified as ``access``.

    Portal routes check ownership themselves (a client account acts on its own data
    only); here they only need a signed-in user.
    """
    member = staff_member(user)
    match access:
        case Access.PUBLIC:
            return True
        case Access.STAFF:
            return member.is_staff
        case Access.CLINICAL:
            return member.sees_clinical
        case Access.ADMIN:
            return member.is_admin
        case Access.PORTAL:
            return bool(getattr(user, "is_authenticated", False))


_REFUSALS = {
    Access.STAFF: (AccessError.STAFF_ACCESS_REQUIRED, "This needs a staff account."),
    Access.CLINICAL: (
        AccessError.CLINICAL_ACCESS_REQUIRED,
        "Clinical information is for practitioners only.",
    ),
    Access.ADMIN: (
        AccessError.ADMIN_ACCESS_REQUIRED,
        "This is for the clinic's administrators only.",
    ),
}


def require(user: Any, access: Access) -> StaffMember:
    """Refuse (403 with the matching code) unless ``user`` may use ``access``."""
    if not has_access(user, access):
        code, message = _REFUSALS.get(access, (AccessError.STAFF_ACCESS_REQUIRED, "Forbidden."))
        raise PermissionDenied(code, message)
    return staff_member(user)


def sees_clinical(user: Any) -> bool:
    """Whether ``user`` may read clinical content (questionnaire answers, reasons, records)."""
    return staff_member(user).sees_clinical


# --- Object rules ---------------------------------------------------------------------------


def own_practitioner(user: Any) -> Practitioner:
    """The acting user's own practitioner record; 403 ``practitioner_required`` without one."""
    practitioner = staff_member(user).practitioner
    if practitioner is None:
        raise PermissionDenied(
            AccessError.PRACTITIONER_REQUIRED,
            "Only a practitioner can do this, in their own name: sign in as the clinician.",
        )
    return practitioner


def require_treating_practitioner(user: Any, *, practitioner: Practitioner) -> Practitioner:
    """The appointment's own practitioner writes and signs its record; anyone else gets 403
    ``not_treating_practitioner`` (administrators too)."""
    own = staff_member(user).practitioner
    if own is None or own.pk != practitioner.pk:
        raise PermissionDenied(
            AccessError.NOT_TREATING_PRACTITIONER,
            f"Only {practitioner.display_name}, who treats at this appointment, may write "
            "or sign its record.",
            details={"practitioner": practitioner.code},
        )
    return own


def require_own_prescription(user: Any, *, prescriber: Practitioner | None) -> Practitioner:
    """A prescription is recorded by the prescriber themself: ``prescriber``, when given,
    must be the acting user's practitioner (403 ``not_own_prescription``)."""
    own = staff_member(user).practitioner
    if own is None or (prescriber is not None and prescriber.pk != own.pk):
        named = prescriber.display_name if prescriber is not None else "a prescriber"
        raise PermissionDenied(
            AccessError.NOT_OWN_PRESCRIPTION,
            f"A prescription is recorded only by the prescriber: {named} must sign in and "
            "record it themself.",
            details={"prescriber": prescriber.code if prescriber is not None else None},
        )
    return own


def require_consent_taker(user: Any) -> Practitioner:
    """A consent is taken by a practitioner, the client present (or by the client in the
    portal, which does not come through here); never by reception or a manager."""
    if not sees_clinical(user):
        raise PermissionDenied(
            AccessError.PRACTITIONER_REQUIRED,
            "A consent is taken by a practitioner with the client present, or signed by the "
            "client in the portal.",
        )
    return own_practitioner(user)


def require_calendar_manager(user: Any, *, practitioner: Practitioner) -> None:
    """Absences are set by an administrator, or by a practitioner in their own calendar
    (403 ``not_own_calendar``)."""
    if may_manage_calendar(user, practitioner=practitioner):
        return
    raise PermissionDenied(
        AccessError.NOT_OWN_CALENDAR,
        "Only an administrator, or the practitioner themself, can change their calendar.",
        details={"practitioner": practitioner.code},
    )


def may_manage_calendar(user: Any, *, practitioner: Practitioner) -> bool:
    """Whether ``user`` may set ``practitioner``'s absences (see
    :func:`require_calendar_manager`)."""
    member = staff_member(user)
    own = member.practitioner
    return member.is_admin or (own is not None and own.pk == practitioner.pk)


def refuse_unqualified(practitioner: Practitioner, treatment_name: str) -> PermissionDenied:
    """The 403 ``practitioner_not_qualified`` for a practitioner who may not give a
    treatment on the day in question (the screening engine's practitioner rules decide)."""
    return PermissionDenied(
        AccessError.PRACTITIONER_NOT_QUALIFIED,
        f"{practitioner.display_name} is not qualified to give {treatment_name} on that day.",
        details={"practitioner": practitioner.code},
    )


# --- Note privacy and supervision ----------------------------------------------------------


def may_read_notes(user: Any, record: Any) -> bool:
    """Whether ``user`` reads ``record``'s free-text notes and addenda.

    The author always does; other practitioners as the clinic's ``notes_readers`` setting
    says (all of them, those of the author's profession, or none); managers and reception
    never (notes are clinical content). The rest of the record is not affected.
    """
    own = staff_member(user).practitioner
    if own is None:
        return False
    author = record.practitioner
    if own.pk == author.pk:
        return True
    setting = record.appointment.site.organisation.notes_readers
    if setting == NotesReaders.ALL_PRACTITIONERS:
        return True
    if setting == NotesReaders.SAME_PROFESSION:
        return bool(own.profession == author.profession)
    return False


def notes_readers_label(record: Any) -> str:
    """Who reads ``record``'s notes, in words, for the page that cannot show them."""
    setting = record.appointment.site.organisation.notes_readers
    if setting == NotesReaders.ALL_PRACTITIONERS:
        return "all practitioners"
    if setting == NotesReaders.SAME_PROFESSION:
        profession = record.practitioner.get_profession_display()
        return f"practitioners of the author's profession ({profession})"
    return "the author only"


def require_supervisor(user: Any, *, supervisor: Practitioner) -> Practitioner:
    """Only the named supervisor decides a sign-off (403 ``not_supervisor``), managers too."""
    own = staff_member(user).practitioner
    if own is None or own.pk != supervisor.pk:
        raise PermissionDenied(
            AccessError.NOT_SUPERVISOR,
            f"Only {supervisor.display_name}, the named supervisor, may sign this off.",
            details={"supervisor": supervisor.code},
        )
    return own


def roles_from_codes(codes: Iterable[str]) -> frozenset[Role]:
    """Role codes as roles; an unknown code is a ``ValueError`` naming it."""
    roles = set()
    for code in codes:
        if code not in Role.values:
            raise ValueError(f"unknown role {code!r}; roles are {', '.join(Role.values)}")
        roles.add(Role(code))
    return frozenset(roles)
