"""Writes for the client portal: sign-up, completing it through the emailed link, password
reset, matching, online bookings, and the client's own changes (reschedule, cancel,
questionnaire, consent).

Identity rule: the password is chosen only by whoever opens the emailed link. A sign-up
stores what the visitor typed (no password) as its own :class:`SignupRequest`; the link's
page shows those details to the email's owner, who chooses the password and says whether
the booking and health answers are theirs. Sign-up, login and password reset answer the
same whether or not the address has an account (an email goes out either way).

Matching rule: an account is linked to an existing client only when its email is verified
*and* exactly one client on file has that email (case-insensitive) and the same date of
birth and no account yet. Otherwise a new client is registered. Unverified details never
reach a client record, and an online booking is only made once the email is verified.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import AbstractBaseUser
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
from mesoclinic.messaging.models import MessageKind
from mesoclinic.messaging.services import account_email_send
from mesoclinic.people.models import Client, Practitioner, Site
from mesoclinic.people.services import client_create
from mesoclinic.portal import booking
from mesoclinic.portal.links import link_check, link_create, link_minutes
from mesoclinic.portal.models import (
    ClientAccount,
    LinkPurpose,
    PendingBooking,
    PortalLink,
    SignupRequest,
)
from mesoclinic.portal.prescreen import Answers
from mesoclinic.scheduling import services as scheduling
from mesoclinic.scheduling.models import Appointment, AppointmentStatus

DECLINED = "Not confirmed by the email's owner: nothing was booked and the answers were discarded."


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


def _clean_details(given_name: str, family_name: str, birth_date: dt.date) -> tuple[str, str]:
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
    return given, family


def _set_password(user: Any, password: str) -> None:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as error:
        raise InvalidInput(
            "weak_password", " ".join(error.messages), details={"field": "password"}
        ) from None
    user.set_password(password)


def verified_account(email: str) -> ClientAccount | None:
    """The verified account with this (normalised) email, or None."""
    return (
        ClientAccount.objects.filter(email=email.strip().lower(), email_verified_at__isnull=False)
        .select_related("user")
        .first()
    )


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
    given_name: str,
    family_name: str,
    birth_date: dt.date,
    phone: str = "",
    site: Site | None = None,
    pending: dict[str, Any] | None = None,
) -> None:
    """Ask for an account (and maybe a booking): email the address, and nothing else.

    No password is taken: the email's owner chooses it on the link's page. If the address
    already has an account, it gets an email saying so (with a password-reset link)
    instead, and nothing is booked; the caller cannot tell which happened, so the page
    after sign-up cannot be used to find out who has an account. ``pending`` optionally
    carries an online booking (treatment, start, practitioner, answers) that the owner
    confirms on the link's page.

    A booking's slot is held first (409 ``slot_unavailable`` if it is taken or held, the
    same for every address) for ``PORTAL_HOLD_MINUTES``; the verification link works no
    longer than the hold. An address with an account lets the hold go at once.
    """
    email = _normal_email(email)
    given, family = _clean_details(given_name, family_name, birth_date)
    minutes = link_minutes()
    with transaction.atomic():
        hold = None
        if pending is not None:
            hold = scheduling.slot_hold(
                actor=None,
                treatment=pending["treatment"],
                site=site or _default_site(),
                start=pending["start"],
                practitioner=pending.get("practitioner"),
                minutes=scheduling.hold_minutes(),
                purpose="online booking",
            )
            minutes = min(minutes, scheduling.hold_minutes())
        account = verified_account(email)
        if account is not None:
            if hold is not None:
                scheduling.slot_hold_release(
                    actor=None, hold=hold, reason="Sign-up for an existing account"
                )
            _, ref = link_create(purpose=LinkPurpose.RESET, account=account)
            account_email_send(
                kind=MessageKind.ACCOUNT_EXISTS,
                email=email,
                context={"booking": pending is not None, "valid_minutes": minutes},
                site=site,
                link_ref=ref,
            )
            audit_record(
                actor=None,
                action="portal.signup_existing",
                obj=account,
                summary=f"Sign-up for an existing account {email}",
            )
            return
        now = clock.now()
        signup = SignupRequest.objects.create(
            email=email,
            given_name=given,
            family_name=family,
            birth_date=birth_date,
            phone=phone.strip()[:40],
            site=site,
            created_at=now,
        )
        if pending is not None and hold is not None:
            PendingBooking.objects.create(
                signup=signup,
                site=hold.site,
                treatment=pending["treatment"],
                practitioner=pending.get("practitioner"),
                start=pending["start"],
                answers=pending.get("answers") or {},
                created_at=now,
                expires_at=hold.expires_at,
                hold=hold,
            )
        _, ref = link_create(
            purpose=LinkPurpose.VERIFY,
            signup=signup,
            expires_at=hold.expires_at if hold is not None else None,
        )
        account_email_send(
            kind=MessageKind.EMAIL_VERIFICATION,
            email=email,
            context={
                "client_name": given,
                "booking": pending is not None,
                "valid_minutes": minutes,
            },
            site=site,
            link_ref=ref,
        )
        audit_record(actor=None, action="portal.signup", obj=signup, summary=f"Sign-up {email}")


def signup_for_link(*, token: str) -> tuple[SignupRequest, PendingBooking | None]:
    """The sign-up (and its booking) an open verification link is for (read only)."""
    link = link_check(token=token, purpose=LinkPurpose.VERIFY)
    signup = link.signup
    assert signup is not None
    return signup, signup.bookings.filter(confirmed_at__isnull=True).first()


def signup_complete(
    *,
    token: str,
    password: str,
    given_name: str,
    family_name: str,
    birth_date: dt.date,
    phone: str = "",
    booking_confirmed: bool = False,
) -> tuple[ClientAccount, PendingBooking | None]:
    """The email's owner, holding the link, finishes a sign-up: the account is created
    verified with *their* password and details, and linked to its client.

    The link works once; every other open sign-up link for the address dies with it. The
    pending booking is made, and its health answers become the client's questionnaire,
    only with ``booking_confirmed``; otherwise nothing is booked and the answers are
    discarded. A booking that can no longer be made comes back with ``failure`` set.
    """
    given, family = _clean_details(given_name, family_name, birth_date)
    user_model = get_user_model()
    with transaction.atomic():
        link = link_check(token=token, purpose=LinkPurpose.VERIFY, lock=True)
        signup = link.signup
        assert signup is not None
        account = ClientAccount.objects.select_for_update().filter(email=signup.email).first()
        if account is not None and account.verified:
            raise Conflict(
                "account_exists",
                "You already have an account with this email. Please log in, or reset your "
                "password if you have forgotten it.",
            )
        # An unverified account can only be left from before this flow: the link holder
        # proves the email now, so it becomes theirs and its old password goes.
        user = (
            account.user
            if account
            else user_model(username=f"client-{uuid.uuid4().hex[:20]}", email=signup.email)
        )
        user.first_name, user.last_name = given[:150], family[:150]
        _set_password(user, password)
        user.save()
        now = clock.now()
        if account is None:
            account = ClientAccount(user=user, email=signup.email, created_at=now)
        account.given_name, account.family_name = given, family
        account.birth_date, account.phone = birth_date, phone.strip()[:40]
        account.email_verified_at = now
        account.save()
        PortalLink.objects.filter(
            purpose=LinkPurpose.VERIFY, signup__email=signup.email, used_at__isnull=True
        ).update(used_at=now)
        signup.completed_at, signup.account = now, account
        signup.save(update_fields=["completed_at", "account"])
        client = account_link_client(account=account)
        audit_record(
            actor=user,
            action="portal.verify",
            obj=account,
            summary=f"Email verified {signup.email}",
        )
        pending = signup.bookings.filter(confirmed_at__isnull=True).first()
        if pending is not None:
            pending.account = account
            if not booking_confirmed:
                pending.answers, pending.failure = {}, DECLINED
                if pending.hold is not None:
                    scheduling.slot_hold_release(
                        actor=user, hold=pending.hold, reason="Declined by the email's owner"
                    )
            pending.save(update_fields=["account", "answers", "failure"])
    if pending is not None and booking_confirmed:
        pending_booking_confirm(pending=pending, client=client)
    return account, pending


def password_reset_request(*, email: str, site: Site | None = None) -> None:
    """Email a password-reset link if the address has an account, else an email saying
    it has none: the same work and the same answer either way."""
    email = _normal_email(email)
    with transaction.atomic():
        account = verified_account(email)
        if account is None:
            account_email_send(
                kind=MessageKind.RESET_NO_ACCOUNT,
                email=email,
                context={"signup_url": public_url(reverse("portal:book"))},
                site=site,
            )
            return
        _, ref = link_create(purpose=LinkPurpose.RESET, account=account)
        account_email_send(
            kind=MessageKind.PASSWORD_RESET,
            email=email,
            context={"client_name": account.given_name, "valid_minutes": link_minutes()},
            site=site,
            link_ref=ref,
        )
        audit_record(actor=None, action="portal.reset_request", obj=account)


def password_reset_check(*, token: str) -> ClientAccount:
    """The account an open reset link is for (read only), or ``link_invalid``."""
    account = link_check(token=token, purpose=LinkPurpose.RESET).account
    assert account is not None
    return account


def password_reset_complete(*, token: str, password: str) -> ClientAccount:
    """Set a new password through a reset link (once); the account's other reset links die."""
    with transaction.atomic():
        link = link_check(token=token, purpose=LinkPurpose.RESET, lock=True)
        account = link.account
        assert account is not None
        user = account.user
        _set_password(user, password)
        user.save()
        PortalLink.objects.filter(
            purpose=LinkPurpose.RESET, account=account, used_at__isnull=True
        ).update(used_at=clock.now())
        audit_record(actor=user, action="portal.password_reset", obj=account)
    return account


def account_link_client(*, account: ClientAccount) -> Client:
    """Link a verified account to its client: the matched one on file, or a new one."""
    if not account.verified:
        raise RuleRefused("email_not_verified", "Please confirm your email address first.")
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


def pending_booking_confirm(*, pending: PendingBooking, client: Client) -> PendingBooking:
    """Make the booking a visitor asked for (once), recording their questionnaire answers:
    its held slot becomes the appointment. A failure (the hold ran out and the time was
    taken, screening refused, …) is kept in ``failure`` and books nothing."""
    if pending.appointment_id or pending.confirmed_at or pending.account is None:
        return pending
    user = pending.account.user
    try:
        with transaction.atomic():
            if pending.answers:
                questionnaire_from_answers(
                    actor=user, client=client, answers=Answers.from_dict(pending.answers)
                )
            appointment = (
                scheduling.slot_hold_confirm(actor=user, hold=pending.hold, client=client)
                if pending.hold is not None
                else booking.book(
                    actor=user,
                    client=client,
                    treatment=pending.treatment,
                    start=pending.start,
                    site=pending.site,
                    practitioner=pending.practitioner,
                )
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
    from mesoclinic.safety.consent_services import consent_sign

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
