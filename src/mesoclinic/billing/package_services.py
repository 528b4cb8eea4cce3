"""Writes on prepaid course packages: selling one, a session used by an attended
appointment, and refunding the sessions left (the package reversed).

Each write is one transaction and audited, and adds a line to the package's append-only
session ledger (``PackageEntry``); the package row is locked while its sessions are
counted, so a session cannot be used and refunded at once.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import IntegrityError, transaction

from mesoclinic.billing.amounts import money_amount, recorder, taking_method
from mesoclinic.billing.errors import BillingErrorCode as Code
from mesoclinic.billing.models import CoursePackage, PackageEntry, PackageEntryKind
from mesoclinic.billing.selectors import package_refund_quote, package_sessions_left
from mesoclinic.catalogue.models import Treatment
from mesoclinic.core import clock
from mesoclinic.core.audit import Actor, audit_record
from mesoclinic.core.errors import Conflict, InvalidInput
from mesoclinic.people.models import Client
from mesoclinic.scheduling.models import Appointment


def package_sell(
    *,
    actor: Actor,
    client: Client,
    treatment: Treatment,
    sessions: int,
    price: Decimal | str,
    method: str,
) -> CoursePackage:
    """Sell ``client`` a prepaid package of ``sessions`` of ``treatment``: the package and
    its first ledger line (the sessions bought)."""
    if not isinstance(sessions, int) or not 1 <= sessions <= 52:
        raise InvalidInput(
            Code.INVALID_SESSIONS,
            "A package holds 1 to 52 sessions.",
            details={"field": "sessions"},
        )
    value, how = money_amount(price), taking_method(method)
    now = clock.now()
    with transaction.atomic():
        package = CoursePackage.objects.create(
            client=client,
            treatment=treatment,
            sessions=sessions,
            price=value,
            method=how,
            sold_at=now,
            sold_by=recorder(actor),
        )
        PackageEntry.objects.create(
            package=package, kind=PackageEntryKind.BOUGHT, sessions=sessions, at=now
        )
        audit_record(
            actor=actor,
            action="package.sell",
            obj=package,
            client_id=client.pk,
            summary=f"{sessions} × {treatment.code} for £{value} ({how})",
        )
    return package


def package_session_use(*, actor: Actor, appointment: Appointment) -> PackageEntry | None:
    """An attended session of a treatment the client holds a package for uses one of its
    sessions (the oldest package with sessions left). Idempotent: an appointment uses at
    most one session. None when there is no package to use (or it was already used)."""
    with transaction.atomic():
        already = PackageEntry.objects.filter(
            appointment_id=appointment.pk, kind=PackageEntryKind.USED
        ).first()
        if already is not None:
            return None
        packages = list(
            CoursePackage.objects.select_for_update()
            .filter(client_id=appointment.client_id, treatment_id=appointment.treatment_id)
            .order_by("sold_at", "id")
        )
        left = package_sessions_left(packages)
        package = next((p for p in packages if left[p.pk] > 0), None)
        if package is None:
            return None
        try:
            with transaction.atomic():
                entry = PackageEntry.objects.create(
                    package=package,
                    kind=PackageEntryKind.USED,
                    sessions=-1,
                    appointment_id=appointment.pk,
                    at=clock.now(),
                )
        except IntegrityError:  # another writer used a session for it meanwhile
            return None
        audit_record(
            actor=actor,
            action="package.use",
            obj=entry,
            client_id=appointment.client_id,
            summary=f"Session of package {package.pk} used by appointment {appointment.pk} "
            f"({left[package.pk] - 1} left)",
        )
    return entry


def package_refund(
    *, actor: Actor, package: CoursePackage, method: str = "", note: str = ""
) -> PackageEntry:
    """Reverse a sold package: the sessions left come off it and their share of the price
    (price × left ÷ sessions, to the penny) is given back by ``method`` (the sale's method
    unless given). 409 ``package_used_up`` when no session is left, ``package_refunded``
    when it was refunded already."""
    with transaction.atomic():
        locked = CoursePackage.objects.select_for_update().get(pk=package.pk)
        if PackageEntry.objects.filter(package=locked, kind=PackageEntryKind.REFUNDED).exists():
            raise Conflict(
                Code.PACKAGE_REFUNDED,
                "This package was refunded already.",
                details={"package": str(locked.pk)},
            )
        quote = package_refund_quote(locked)
        if quote.sessions_left <= 0:
            raise Conflict(
                Code.PACKAGE_USED_UP,
                "Every session of this package has been used: there is nothing to refund.",
                details={"package": str(locked.pk), "sessions_left": 0},
            )
        how = taking_method(method or locked.method)
        entry = PackageEntry.objects.create(
            package=locked,
            kind=PackageEntryKind.REFUNDED,
            sessions=-quote.sessions_left,
            amount=quote.amount,
            method=how,
            at=clock.now(),
            recorded_by=recorder(actor),
        )
        audit_record(
            actor=actor,
            action="package.refund",
            obj=entry,
            client_id=locked.client_id,
            summary=f"Package {locked.pk}: {quote.sessions_left} unused sessions refunded, "
            f"£{quote.amount} ({how})" + (f"; {note.strip()[:200]}" if note.strip() else ""),
        )
    return entry
