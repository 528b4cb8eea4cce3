"""Staff identity: who must use a second factor, enrolling one, proving it, and the audit
trail of every login (issue 12).

The second factor is django-otp's: a TOTP device (an authenticator app) and a static device
holding single-use recovery codes. Passwords and lockout stay with Django and django-axes;
this module only adds the writes around them, each audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.http import HttpRequest
from django_otp import devices_for_user, match_token
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from mesoclinic.core.audit import audit_record
from mesoclinic.people.roles import staff_member

RECOVERY_CODE_COUNT = 10
TOTP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"


def staff_idle_minutes() -> int:
    """Minutes without a request after which a staff session ends (default 30)."""
    return int(str(settings.MESOCLINIC.get("STAFF_IDLE_MINUTES", 30)))


def two_factor_required(user: Any) -> bool:
    """Whether ``user`` must prove a second factor before using the clinic.

    Admins and practitioners (and superusers) see and change health records, so they must,
    unless the clinic relaxed it (``MESOCLINIC_REQUIRE_2FA=0``; the demo does). Reception
    may enrol but need not. Roles as :mod:`mesoclinic.people.roles` sees them.
    """
    if not settings.MESOCLINIC.get("REQUIRE_2FA", True) or not getattr(
        user, "is_authenticated", False
    ):
        return False
    member = staff_member(user)
    return member.is_admin or member.is_practitioner


def has_second_factor(user: Any) -> bool:
    """Whether ``user`` has a confirmed authenticator device (recovery codes alone do not
    count: they back up a device)."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def second_factor_pending(request: HttpRequest) -> bool:
    """A password-only session that must still prove (or first enrol) a second factor."""
    user: Any = request.user
    if not is_staff_member(user) or session_verified(user):
        return False
    return two_factor_required(user) or has_second_factor(user)


def is_staff_member(user: Any) -> bool:
    """A logged-in staff member (any role, or a Django admin user), not a portal client:
    the second factor and the idle timeout are for staff sessions."""
    return bool(
        user.is_authenticated
        and (user.is_staff or user.is_superuser or hasattr(user, "staff_profile"))
    )


def session_verified(user: Any) -> bool:
    """Whether this session proved a second factor (django-otp's ``is_verified``; a user
    just logged in with a password has not)."""
    check = getattr(user, "is_verified", None)
    return bool(check()) if callable(check) else False


def client_address(request: HttpRequest | None) -> str:
    """The address a request came from, as django-axes saw it (else ``REMOTE_ADDR``)."""
    if request is None:
        return ""
    return str(getattr(request, "axes_ip_address", None) or request.META.get("REMOTE_ADDR", ""))


def _login_data(request: HttpRequest | None, username: str) -> dict[str, str]:
    data = {"username": username, "ip": client_address(request)}
    if request is not None:
        data["path"] = request.path
    return data


def login_audit_success(*, request: HttpRequest | None, user: AbstractBaseUser) -> None:
    """Audit a successful password login (username and address in ``data``)."""
    audit_record(
        actor=user,
        action="login.success",
        obj=user,
        summary=f"Logged in from {client_address(request) or 'an unknown address'}",
        data=_login_data(request, user.get_username()),
    )


def login_audit_failure(*, request: HttpRequest | None, username: str) -> None:
    """Audit a failed login: the attempted username (which may not exist) and address."""
    audit_record(
        actor=None,
        action="login.failed",
        summary=f"Failed login for {username[:100]!r}",
        data=_login_data(request, username[:150]),
    )


def login_audit_lockout(*, request: HttpRequest | None, username: str) -> None:
    """Audit a refused login of a locked-out username and address."""
    audit_record(
        actor=None,
        action="login.locked_out",
        summary=f"Locked out: {username[:100]!r}",
        data=_login_data(request, username[:150]),
    )


def login_audit_logout(*, request: HttpRequest | None, user: Any, reason: str) -> None:
    """Audit a logout, by the user or because the session sat idle (``reason``)."""
    if user is None or isinstance(user, AnonymousUser):
        return
    audit_record(
        actor=user,
        action="login.logout",
        obj=user,
        summary=f"Logged out ({reason})",
        data={**_login_data(request, user.get_username()), "reason": reason},
    )


@dataclass(frozen=True)
class Enrolment:
    """An authenticator device waiting for its first code."""

    device: TOTPDevice

    @property
    def config_url(self) -> str:
        """The ``otpauth://`` URL the QR code carries."""
        return str(self.device.config_url)

    @property
    def secret(self) -> str:
        """The key in base32, for typing into an app that cannot scan."""
        from base64 import b32encode

        return b32encode(self.device.bin_key).decode()


def totp_enrolment_start(*, user: AbstractBaseUser) -> Enrolment:
    """The user's unconfirmed authenticator device, made on first call (one per user), so
    reloading the enrolment page shows the same QR code."""
    with transaction.atomic():
        device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return Enrolment(device)


def totp_enrolment_confirm(
    *, request: HttpRequest, user: AbstractBaseUser, token: str
) -> list[str] | None:
    """Confirm the pending authenticator with a code from it; on success mark the session
    verified, replace the recovery codes and return them (shown once), else None."""
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=user, confirmed=False)
            .order_by("id")
            .first()
        )
        if device is None or not device.verify_token(_clean_token(token)):
            audit_record(
                actor=user,
                action="login.second_factor_failed",
                obj=user,
                summary="Wrong code while enrolling an authenticator",
                data=_login_data(request, user.get_username()),
            )
            return None
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        codes = _recovery_codes_replace(user)
        audit_record(
            actor=user,
            action="two_factor.enrol",
            obj=user,
            summary="Enrolled an authenticator app; new recovery codes issued",
            data=_login_data(request, user.get_username()),
        )
    _session_verified(request, device)
    return codes


def _recovery_codes_replace(user: AbstractBaseUser) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def second_factor_verify(*, request: HttpRequest, user: AbstractBaseUser, token: str) -> bool:
    """Check a code from the authenticator, or a recovery code (used up by this), and mark
    the session verified. Wrong codes are audited; django-otp slows repeated guesses."""
    device: Device | None = match_token(user, _clean_token(token))
    if device is None:
        audit_record(
            actor=user,
            action="login.second_factor_failed",
            obj=user,
            summary="Wrong second-factor code",
            data=_login_data(request, user.get_username()),
        )
        return False
    recovery = isinstance(device, StaticDevice)
    audit_record(
        actor=user,
        action="login.second_factor",
        obj=user,
        summary="Second factor: recovery code" if recovery else "Second factor: authenticator",
        data={
            **_login_data(request, user.get_username()),
            "method": "recovery_code" if recovery else "totp",
        },
    )
    _session_verified(request, device)
    return True


def second_factor_throttled(user: AbstractBaseUser) -> bool:
    """Whether django-otp is making the user wait after wrong codes (each wrong code doubles
    the wait), so the page can say so instead of "wrong code"."""
    return any(not device.verify_is_allowed()[0] for device in TOTPDevice.objects.filter(user=user))


def recovery_codes_left(user: AbstractBaseUser) -> int:
    """How many unused recovery codes the user has."""
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def two_factor_reset(*, actor: Any, user: AbstractBaseUser) -> int:
    """Remove every second-factor device of ``user`` (a lost phone); they enrol again at
    their next login. Returns how many devices went."""
    with transaction.atomic():
        removed = 0
        for device in list(devices_for_user(user, confirmed=None)):
            device.delete()
            removed += 1
        audit_record(
            actor=actor,
            action="two_factor.reset",
            obj=user,
            summary=f"Second factor reset for {user.get_username()}",
            data={"username": user.get_username(), "devices": removed},
        )
    return removed


def _clean_token(token: str) -> str:
    return "".join(str(token).split())


def _session_verified(request: HttpRequest, device: Device) -> None:
    """Mark the session as verified by ``device`` (django-otp keeps the device id in it)."""
    from django_otp import login as otp_login

    # A new session key once fully signed in, as at the password step.
    request.session.cycle_key()
    otp_login(request, device)
