"""Writes for the client portal: accounts, email verification and matching, online bookings,
and the client's own changes (reschedule, cancel, questionnaire, consent).

Matching rule: an account is linked to an existing client only when its email is verified
*and* exactly one client on file has that email (case-insensitive) and the same date of
birth and no account yet. Otherwise a new client is registered. Unverified details never
reach a client record, and an online booking is only made once the email is verified.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import AbstractBaseUser
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from mesoclinic.billing.policy import cancellation_policy
from mesoclinic.billing.services import deposit_settle_on_cancel
from mesoclinic.catalogue.models import Treatment
from mesoclinic.core import clock
from mesoclinic.core.audit import audit_record
from mesoclinic.core.errors import Conflict, DomainError, InvalidInput, NotFound, RuleRefused
from mesoclinic.messaging.content import public_url
from mesoclinic.messaging.services import email_verification_send
from mesoclinic.people.models import Client, Practitioner, Site
from mesoclinic.people.services import client_create
from mesoclinic.portal import booking
from mesoclinic.portal.models import ClientAccount, PendingBooking
from mesoclinic.portal.prescreen import Answers
from mesoclinic.scheduling.models import Appointment, AppointmentStatus

VERIFY_SALT = "mesoclinic.portal.verify"


def _verification_hours() -> int:
    return int(settings.MESOCLINIC.get("EMAIL_VERIFICATION_HOURS", 48))  # type: ignore[call-overload]


def _normal_email(email: str) -> str:
    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise InvalidInput(
            "invalid_email", "Please enter a valid email address.", details={"field": "email"}
        )
    return email


def _default_site() -> Site:
    site = Site.objects.order_by("pk").first()
    if site is None:
        raise NotFound("unknown_site", "There is no clinic to book at.")
    return site


def client_match(*, email: str, birth_date: dt.date) -> Client | None:
    """The one client on file with this email and date of birth and no account, or None."""
    candidates = list(
        Client.objects.filter(
            email__iexact=email.strip(), birth_date=birth_date, account__isnull=True
        )[:2]
    )
    return candidates[0] if len(candidates) == 1 else None


def account_signup(
    *,
    email: str,
    password: str,
    given_name: str,
    family_name: str,
    birth_date: dt.date,
    phone: str = "",
    site: Site | None = None,
    pending: dict[str, Any] | None = None,
) -> ClientAccount:
    """Open (or refresh, while unverified) a client account and email a verification link.

    ``pending`` optionally carries an online booking (treatment, start, practitioner,
    answers) that is made when the link is clicked.
    """
    email = _normal_email(email)
    given, family = " ".join(given_name.split()), " ".join(family_name.split())
    if not given or not family:
        raise InvalidInput(
            "invalid_name",
            "Please tell us your first and last name.",
            details={"field": "given_name"},
        )
    if birth_date > clock.today() or birth_date.year < clock.today().year - 120:
        raise InvalidInput(
            "invalid_birth_date",
            "Please check your date of birth.",
            details={"field": "birth_date"},
        )
    user_model = get_user_model()
    with transaction.atomic():
        account = ClientAccount.objects.select_for_update().filter(email=email).first()
        if account is not None and account.verified:
            raise Conflict(
                "account_exists",
                "You already have an account with this email. Please log in.",
                details={"field": "email"},
            )
        user = (
            account.user
            if account
            else user_model(username=f"client-{uuid.uuid4().hex[:20]}", email=email)
        )
        user.first_name, user.last_name = given[:150], family[:150]
        try:
            password_validation.validate_password(password, user)
        except ValidationError as error:
            raise InvalidInput(
                "weak_password", " ".join(error.messages), details={"field": "password"}
            ) from None
        user.set_password(password)
        user.save()
        if account is None:
            account = ClientAccount(user=user, email=email, created_at=clock.now())
        account.given_name, account.family_name = given, family
        account.birth_date, account.phone = birth_date, phone.strip()[:40]
        account.save()
        pending_booking = None
        if pending is not None:
            now = clock.now()
            pending_booking = PendingBooking.objects.create(
                account=account,
                site=site or _default_site(),
                treatment=pending["treatment"],
                practitioner=pending.get("practitioner"),
                start=pending["start"],
                answers=pending.get("answers") or {},
                created_at=now,
                expires_at=now + dt.timedelta(hours=_verification_hours()),
            )
        token = signing.dumps(
            {"account": account.pk, "booking": pending_booking.pk if pending_booking else None},
            salt=VERIFY_SALT,
        )
        email_verification_send(
            email=email,
            name=given,
            verify_url=public_url(reverse("portal:verify", args=[token])),
            site=site,
            booking=pending_booking is not None,
            valid_hours=_verification_hours(),
        )
        audit_record(actor=None, action="portal.signup", obj=account, summary=f"Sign-up {email}")
    return account


def account_link_client(*, account: ClientAccount) -> Client:
    """Link a verified account to its client: the matched one on file, or a new one."""
    if account.client_id:
        return account.client  # type: ignore[return-value]
    client = client_match(email=account.email, birth_date=account.birth_date)
    matched = client is not None
    if client is None:
        client = client_create(
            actor=account.user,
            given_name=account.given_name,
            family_name=account.family_name,
            birth_date=account.birth_date,
            email=account.email,
            phone=account.phone,
            home_site=Site.objects.order_by("pk").first(),
        )
    elif account.phone and not client.phone:
        client.phone = account.phone
        client.save(update_fields=["phone"])
    account.client = client
    account.matched_existing = matched
    account.save(update_fields=["client", "matched_existing"])
    audit_record(
        actor=account.user,
        action="portal.link",
        obj=account,
        client_id=client.pk,
        summary=("Matched to existing client" if matched else "New client") + " on verified email",
    )
    return client


def account_verify(*, token: str) -> tuple[ClientAccount, PendingBooking | None]:
    """Check a verification link; verify, match, and make the pending booking if there is one.

    A booking that can no longer be made (slot taken, expired) is returned with its
    ``failure`` set; the account is verified regardless.
    """
    try:
        data = signing.loads(token, salt=VERIFY_SALT, max_age=_verification_hours() * 3600)
    except signing.SignatureExpired:
        raise RuleRefused("link_expired", "This link has expired. Please sign up again.") from None
    except signing.BadSignature:
        raise InvalidInput("bad_link", "This link is not valid.") from None
    with transaction.atomic():
        account = ClientAccount.objects.select_for_update().filter(pk=data.get("account")).first()
        if account is None:
            raise NotFound("unknown_account", "This account no longer exists.")
        if account.email_verified_at is None:
            account.email_verified_at = clock.now()
            account.save(update_fields=["email_verified_at"])
        client = account_link_client(account=account)
    pending = None
    if data.get("booking"):
        pending = PendingBooking.objects.filter(pk=data["booking"], account=account).first()
        if pending is not None:
            pending_booking_confirm(pending=pending, client=client)
    return account, pending


def pending_booking_confirm(*, pending: PendingBooking, client: Client) -> PendingBooking:
    """Make the booking a visitor asked for (once), recording their questionnaire answers."""
    if pending.appointment_id or pending.confirmed_at:
        return pending
    user = pending.account.user
    try:
        with transaction.atomic():
            if pending.answers:
                questionnaire_from_answers(
                    actor=user, client=client, answers=Answers.from_dict(pending.answers)
                )
            appointment = booking.book(
                actor=user,
                client=client,
                treatment=pending.treatment,
                start=pending.start,
                site=pending.site,
                practitioner=pending.practitioner,
            )
            pending.appointment = appointment
            pending.confirmed_at = clock.now()
            pending.save(update_fields=["appointment", "confirmed_at"])
    except DomainError as error:
        pending.failure = error.message[:300]
        pending.save(update_fields=["failure"])
    return pending


def questionnaire_from_answers(*, actor: Any, client: Client, answers: Answers) -> None:
    """Store the client's own answers as their current health questionnaire."""
    from mesoclinic.safety.models import QuestionnaireSource
    from mesoclinic.safety.services import questionnaire_record

    questionnaire_record(
        actor=actor,
        client=client,
        pregnant=answers.pregnant,
        breastfeeding=answers.breastfeeding,
        allergies=answers.allergies,
        conditions=sorted(answers.conditions),
        medications=answers.medications,
        source=QuestionnaireSource.CLIENT,
    )


def online_book(
    *,
    account: ClientAccount,
    treatment: Treatment,
    start: dt.datetime,
    site: Site,
    practitioner: Practitioner | None = None,
    answers: Answers | None = None,
) -> Appointment:
    """A signed-in, verified client books directly (answers become their questionnaire)."""
    if not account.verified or account.client is None:
        raise RuleRefused("email_not_verified", "Please confirm your email address first.")
    with transaction.atomic():
        if answers is not None:
            questionnaire_from_answers(actor=account.user, client=account.client, answers=answers)
        return booking.book(
            actor=account.user,
            client=account.client,
            treatment=treatment,
            start=start,
            site=site,
            practitioner=practitioner,
        )


def _own(account: ClientAccount, appointment: Appointment) -> None:
    if account.client_id is None or appointment.client_id != account.client_id:
        raise NotFound("unknown_appointment", "We couldn't find that appointment.")
    if appointment.status != AppointmentStatus.BOOKED:
        raise RuleRefused("not_changeable", "This appointment can no longer be changed.")


def _within_policy(appointment: Appointment) -> None:
    policy = cancellation_policy()
    if not policy.can_change_online(start=appointment.start, now=clock.now()):
        raise RuleRefused(
            "inside_notice_period",
            f"Online changes close {policy.notice_hours} hours before an appointment. "
            "Please call us and we'll help.",
            details={"notice_hours": policy.notice_hours},
        )


def client_appointment_cancel(*, account: ClientAccount, appointment: Appointment) -> Appointment:
    """The client cancels their own appointment, outside the notice period only."""
    _own(account, appointment)
    _within_policy(appointment)
    with transaction.atomic():
        cancelled = booking.cancel(
            actor=account.user, appointment=appointment, reason="Cancelled online by the client"
        )
        deposit_settle_on_cancel(actor=account.user, appointment=cancelled)
    return cancelled


def client_appointment_reschedule(
    *, account: ClientAccount, appointment: Appointment, start: dt.datetime
) -> Appointment:
    """The client moves their own appointment, outside the notice period only."""
    _own(account, appointment)
    _within_policy(appointment)
    return booking.reschedule(actor=account.user, appointment=appointment, start=start)


def client_consent_sign(
    *,
    account: ClientAccount,
    treatment: Treatment,
    signed_name: str,
    accepted: bool,
    form_version: int | None,
    photo_use: bool,
    marketing: bool,
) -> Any:
    """The client signs the current consent form for ``treatment`` (through safety)."""
    from mesoclinic.safety.services import consent_sign

    if account.client is None:
        raise RuleRefused("email_not_verified", "Please confirm your email address first.")
    return consent_sign(
        actor=account.user,
        client=account.client,
        treatment=treatment,
        signed_name=signed_name,
        accepted=accepted,
        form_version=form_version,
        photo_use=photo_use,
        marketing=marketing,
    )


def is_client_user(user: AbstractBaseUser | Any) -> bool:
    """Whether ``user`` logs in as a client (has a client account)."""
    return bool(getattr(user, "is_authenticated", False) and hasattr(user, "client_account"))
