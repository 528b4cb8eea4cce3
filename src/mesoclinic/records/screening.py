"""The records domain's door to the safety app: screening at record time, toxin history.

Screening runs again when a session is recorded and when its record is signed
(domain.md §4): every reason ``safety.engine.unresolved_for_treatment`` returns — any
severity except ``warn``, plus missing consent and cooling-off — refuses the record with
422 ``screening_unresolved`` and the reasons in the details.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from mesoclinic.catalogue.models import Formulation
from mesoclinic.core.audit import Actor
from mesoclinic.core.errors import RuleRefused
from mesoclinic.people.models import Client
from mesoclinic.records.errors import RecordError
from mesoclinic.safety import engine
from mesoclinic.safety import services as safety_services
from mesoclinic.scheduling.models import Appointment
from mesoclinic.scheduling.selectors import toxin_booking_days


def screen_for_record(
    *, actor: Actor, appointment: Appointment, resolved_on: dt.date
) -> dict[str, Any]:
    """Screen the appointment's client for its treatment now; refuse unresolved reasons.

    Returns the screening as a JSON-ready dict to keep on the record.
    """
    result = safety_services.screening_run(
        actor=actor,
        client=appointment.client,
        treatment=appointment.treatment,
        formulation=appointment.formulation or appointment.treatment.default_formulation,
        practitioner=appointment.practitioner,
        on=resolved_on,
        at=appointment.treatment_start,
        toxin_bookings=toxin_booking_days(
            client=appointment.client, exclude=appointment, booked_before=appointment.booked_at
        ),
    )
    as_dict = safety_services.screening_as_dict(result)
    unresolved = engine.unresolved_for_treatment(result)
    if unresolved:
        codes = {str(reason.code) for reason in unresolved}
        reasons = [r for r in as_dict.get("reasons", []) if r.get("code") in codes]
        raise RuleRefused(
            RecordError.SCREENING_UNRESOLVED,
            "Screening has reasons to resolve before treatment: " + ", ".join(sorted(codes)) + ".",
            details={"outcome": as_dict.get("outcome"), "reasons": reasons},
        )
    return as_dict


def toxin_administration_record(
    *,
    actor: Actor,
    client: Client,
    administered_on: dt.date,
    formulation: Formulation,
    units: Decimal | None,
    source_reference: str,
) -> None:
    """Add a signed record's toxin dose to the safety app's toxin history."""
    safety_services.toxin_history_record(
        actor=actor,
        client=client,
        administered_on=administered_on,
        formulation=formulation,
        units=units,
        source="record",
        source_reference=source_reference,
    )
