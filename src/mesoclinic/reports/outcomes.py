"""Measured outcomes per treatment across clients (issue 16, item 2): the readings of one
scale for one treatment, counted by the sessions each client had been given when they
were assessed, summarised by :mod:`mesoclinic.records.evidence`.

A client counts when they have an assessment on the scale recorded for the treatment; a
reading's session count is the number of attended appointments of that treatment that had
ended by the time of the assessment (0 = a baseline, taken before the first treatment;
an assessment during a session counts the sessions before it).
Filtered by protocol or formulation, only clients with an attended appointment of that
protocol's course or with that formulation count. Nothing here identifies a client: the
trajectories are keyed by an opaque number.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count

from mesoclinic.catalogue.models import Formulation, Protocol, Treatment
from mesoclinic.core.audit import Actor, audit_read
from mesoclinic.records.evidence import (
    RATING_SCALES,
    RESPONDER_RULES,
    Reading,
    ResponderRule,
    Step,
    client_changes,
    outcome_steps,
    trajectories,
)
from mesoclinic.records.models import Assessment
from mesoclinic.records.scales import ScaleDefinition
from mesoclinic.scheduling.models import Appointment, AppointmentStatus

SMALLEST_COMPARISON = 5
"""Fewer clients than this at a step and the client's page says there are too few."""


@dataclass
class OutcomeEvidence:
    treatment: Treatment
    scale: ScaleDefinition
    protocol: Protocol | None = None
    formulation: Formulation | None = None
    steps: list[Step] = field(default_factory=list)
    by_client: dict[int, list[Reading]] = field(default_factory=dict)

    @property
    def paths(self) -> list[list[Reading]]:
        return list(self.by_client.values())

    @property
    def rule(self) -> ResponderRule | None:
        return RESPONDER_RULES.get(self.scale.code)

    @property
    def is_rating(self) -> bool:
        return self.scale.code in RATING_SCALES

    @property
    def clients(self) -> int:
        return len(self.by_client)

    def drawn_paths(self) -> list[list[tuple[int, float]]]:
        """Each counted client's ``(sessions, value)`` line; a change line starts at 0."""
        start = [] if self.is_rating else [(0, 0.0)]
        lines = (client_changes(self.scale.code, path) for path in self.paths)
        return [start + [(c.sessions, c.value) for c in line] for line in lines if line]

    def step_after(self, sessions: int) -> Step | None:
        """The step of exactly ``sessions`` sessions, if any client reached it."""
        return next((step for step in self.steps if step.sessions == sessions), None)


def _readings(
    treatment: Treatment,
    scale: ScaleDefinition,
    protocol: Protocol | None,
    formulation: Formulation | None,
) -> list[Reading]:
    attended = Appointment.objects.filter(treatment=treatment, status=AppointmentStatus.FULFILLED)
    chosen = attended
    if protocol is not None:
        chosen = chosen.filter(course__protocol=protocol)
    if formulation is not None:
        chosen = chosen.filter(formulation=formulation)
    assessments = Assessment.objects.filter(treatment=treatment, scale=scale.code)
    if protocol is not None or formulation is not None:
        assessments = assessments.filter(client_id__in=chosen.values("client_id"))
    rows = list(assessments.values_list("client_id", "assessed_at", "score_value", "score_rank"))
    ends: dict[int, list[dt.datetime]] = defaultdict(list)
    for client, end in attended.filter(client_id__in={row[0] for row in rows}).values_list(
        "client_id", "end"
    ):
        ends[client].append(end)
    for moments in ends.values():
        moments.sort()
    return [
        Reading(
            client=client,
            sessions=bisect.bisect_right(ends[client], assessed_at),
            score=float(value if value is not None else rank),
        )
        for client, assessed_at, value, rank in rows
        if value is not None or rank is not None
    ]


def _evidence(
    treatment: Treatment,
    scale: ScaleDefinition,
    protocol: Protocol | None = None,
    formulation: Formulation | None = None,
) -> OutcomeEvidence:
    readings = _readings(treatment, scale, protocol, formulation)
    evidence = OutcomeEvidence(treatment, scale, protocol, formulation)
    evidence.steps = outcome_steps(scale.code, readings)
    evidence.by_client = trajectories(readings)
    return evidence


def treatments_by_clients_assessed() -> list[str]:
    """Treatment codes, the one with the most clients assessed first (counts only: no
    scores are read), for the page to open on a treatment that has evidence."""
    counts = (
        Assessment.objects.filter(treatment__isnull=False)
        .values("treatment__code")
        .annotate(clients=Count("client", distinct=True))
        .order_by("-clients", "treatment__code")
    )
    return [row["treatment__code"] for row in counts]


def outcome_evidence(
    *,
    actor: Actor,
    treatment: Treatment,
    scale: ScaleDefinition,
    protocol: Protocol | None = None,
    formulation: Formulation | None = None,
) -> OutcomeEvidence:
    """The outcome table and the clients' trajectories; audited as a report read."""
    evidence = _evidence(treatment, scale, protocol, formulation)
    audit_read(
        actor=actor,
        action="report.outcomes",
        summary=f"{treatment.code} {scale.code}"
        + (f" protocol {protocol.code}" if protocol else "")
        + (f" formulation {formulation.code}" if formulation else ""),
    )
    return evidence


@dataclass(frozen=True, slots=True)
class Comparison:
    """How the clinic's clients had done after as many sessions as this client has had
    (the step counts this client too); ``enough`` when at least
    :data:`SMALLEST_COMPARISON` clients reached it."""

    sessions: int
    step: Step | None
    rule: ResponderRule | None
    is_rating: bool

    @property
    def enough(self) -> bool:
        return self.step is not None and self.step.n >= SMALLEST_COMPARISON


def people_like(
    *, client_id: int, treatment: Treatment, scale: ScaleDefinition
) -> Comparison | None:
    """The comparison for one client's latest reading, or None without a reading. Read
    inside the client's outcome page, which audits the view of that client; the figures
    of others are anonymous aggregates."""
    evidence = _evidence(treatment, scale)
    mine = evidence.by_client.get(client_id)
    if not mine:
        return None
    sessions = mine[-1].sessions
    return Comparison(sessions, evidence.step_after(sessions), evidence.rule, evidence.is_rating)
