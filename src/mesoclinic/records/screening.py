"""The records domain's door to the safety app: screening at record time, toxin history.

Screening runs again when a session is recorded and when its record is signed
(domain.md §4): every reason ``safety.engine.unresolved_for_treatment`` returns — any
severity except ``warn``, plus missing consent and cooling-off — refuses the record with
422 ``screening_unresolved`` and the reasons in the details.
"""

from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal
from types import ModuleType
from typing import Any

from mesoclinic.catalogue.models import Formulation
from mesoclinic.core.audit import Actor
from mesoclinic.core.errors import RuleRefused
from mesoclinic.people.models import Client
from mesoclinic.records.errors import RecordError
from mesoclinic.safety import engine
from mesoclinic.scheduling.models import Appointment


def _safety_services() -> ModuleType | None:
    try:
        return importlib.import_module("mesoclinic.safety.services")
    except ImportError:
        return None


def screen_for_record(
    *, actor: Actor, appointment: Appointment, resolved_on: dt.date
) -> dict[str, Any]:
    """Screen the appointment's client for its treatment now; refuse unresolved reasons.

    Returns the screening as a JSON-ready dict to keep on the record.
    """
    services = _safety_services()
    run = getattr(services, "screening_run", None)
    if run is None:
        return {"outcome": "not_run", "reasons": []}
    result = run(
        actor=actor,
        client=appointment.client,
        treatment=appointment.treatment,
        formulation=appointment.formulation or appointment.treatment.default_formulation,
        practitioner=appointment.practitioner,
        on=resolved_on,
        at=appointment.treatment_start,
    )
    as_dict = _as_dict(services, result)
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


def _as_dict(services: ModuleType | None, result: engine.ScreeningResult) -> dict[str, Any]:
    converter = getattr(services, "screening_as_dict", None)
    if converter is not None:
        return dict(converter(result))
    return {
        "outcome": str(result.outcome),
        "reasons": [
            {
                "code": str(reason.code),
                "severity": str(reason.severity),
                "message": reason.message,
                "source": reason.source,
            }
            for reason in result.reasons
        ],
    }


def toxin_administration_record(
    *,
    actor: Actor,
    client: Client,
    administered_on: dt.date,
    formulation: Formulation,
    units: Decimal | None,
    source_reference: str,
) -> None:
    """Add a signed record's toxin dose to the safety app's toxin history, if it keeps one."""
    services = _safety_services()
    record = getattr(services, "toxin_history_record", None)
    if record is None:
        return
    record(
        actor=actor,
        client=client,
        administered_on=administered_on,
        formulation=formulation,
        units=units,
        source="record",
        source_reference=source_reference,
    )
