"""Writes for course protocols from the clinic's settings: a new protocol (a copy of one
the clinic has) and its phases changed. Courses already booked keep their sessions; the
planner and re-planning read the phases afresh."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

from django.db import transaction
from django.utils.text import slugify

from mesoclinic.catalogue.errors import CatalogueErrorCode as Code
from mesoclinic.catalogue.models import Protocol, ProtocolPhase
from mesoclinic.core.audit import Actor, audit_record
from mesoclinic.core.errors import Conflict, InvalidInput

MAX_GAP_DAYS = 366
MAX_SESSIONS = 52
MAX_PHASES = 8


@dataclass(frozen=True, slots=True)
class PhaseSpec:
    """One phase as the settings page submits it (``count`` None: open-ended, last only)."""

    name: str
    count: int | None
    gap_days: int
    tolerance_days: int = 0
    min_gap_days: int | None = None


def _refuse(message: str, field: str) -> InvalidInput:
    return InvalidInput(Code.INVALID_INPUT, message, details={"field": field})


def _check_phase(number: int, phase: PhaseSpec, *, last: bool) -> None:
    where = f"Phase {number}"
    if not phase.name.strip() or len(phase.name) > 60:
        raise _refuse(f"{where}: give it a name (up to 60 characters).", "phases")
    if phase.count is None and not last:
        raise _refuse(f"{where}: only the last phase may go on without a count.", "phases")
    if phase.count is not None and not 1 <= phase.count <= MAX_SESSIONS:
        raise _refuse(f"{where}: between 1 and {MAX_SESSIONS} sessions.", "phases")
    if not 0 <= phase.gap_days <= MAX_GAP_DAYS:
        raise _refuse(f"{where}: the gap is between 0 and {MAX_GAP_DAYS} days.", "phases")
    if not 0 <= phase.tolerance_days <= phase.gap_days:
        raise _refuse(f"{where}: the tolerance cannot be longer than the gap.", "phases")
    if phase.min_gap_days is not None and not (
        1 <= phase.min_gap_days <= phase.gap_days + phase.tolerance_days
    ):
        raise _refuse(f"{where}: the minimum gap must fall inside the window.", "phases")


def _check(name: str, phases: Sequence[PhaseSpec]) -> str:
    name = " ".join(name.split())
    if not name or len(name) > 120:
        raise _refuse("Give the protocol a name (up to 120 characters).", "name")
    if not 1 <= len(phases) <= MAX_PHASES:
        raise _refuse(f"A protocol has between 1 and {MAX_PHASES} phases.", "phases")
    for number, phase in enumerate(phases, start=1):
        _check_phase(number, phase, last=number == len(phases))
    return name


def _replace_phases(protocol: Protocol, phases: Sequence[PhaseSpec]) -> None:
    protocol.phases.all().delete()
    ProtocolPhase.objects.bulk_create(
        ProtocolPhase(protocol=protocol, order=order, **asdict(phase))
        for order, phase in enumerate(phases, start=1)
    )


def protocol_phases(protocol: Protocol) -> list[PhaseSpec]:
    """A protocol's phases as specs, in order."""
    return [
        PhaseSpec(p.name, p.count, p.gap_days, p.tolerance_days, p.min_gap_days)
        for p in protocol.phases.order_by("order")
    ]


def protocol_change(
    *,
    actor: Actor,
    protocol: Protocol,
    name: str,
    description: str,
    phases: Sequence[PhaseSpec],
) -> Protocol:
    """Rename, re-describe and re-phase a protocol; audited with the old and new phases."""
    name = _check(name, phases)
    before = [asdict(phase) for phase in protocol_phases(protocol)]
    with transaction.atomic():
        protocol.name, protocol.description = name, description.strip()
        protocol.save(update_fields=["name", "description"])
        _replace_phases(protocol, phases)
        audit_record(
            actor=actor,
            action="protocol.change",
            obj=protocol,
            summary=f"{protocol.code}: {len(phases)} phase{'s' if len(phases) != 1 else ''}",
            data={"phases": {"from": before, "to": [asdict(phase) for phase in phases]}},
        )
    return protocol


def protocol_copy(*, actor: Actor, source: Protocol, name: str) -> Protocol:
    """A new protocol named ``name`` with ``source``'s phases, to be changed (409 when a
    protocol already has that code)."""
    phases = protocol_phases(source)
    name = _check(name, phases)
    code = slugify(name)[:60].strip("-")
    if not code:
        raise _refuse("Give the protocol a name with letters or digits.", "name")
    with transaction.atomic():
        if Protocol.objects.filter(code=code).exists():
            raise Conflict(Code.PROTOCOL_EXISTS, f"A protocol called {name} already exists.")
        protocol = Protocol.objects.create(code=code, name=name, description=source.description)
        _replace_phases(protocol, phases)
        audit_record(
            actor=actor,
            action="protocol.add",
            obj=protocol,
            summary=f"{code}: a copy of {source.code}",
        )
    return protocol
