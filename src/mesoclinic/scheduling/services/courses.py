"""Book and cancel whole courses, re-plan their later sessions, and what a plan should
be told before booking (``course_plan_warnings``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from mesoclinic.catalogue.models import Protocol, Treatment
from mesoclinic.core import clock
from mesoclinic.core.audit import Actor, audit_entry, audit_record, audit_record_many
from mesoclinic.core.errors import Conflict
from mesoclinic.messaging import services as messaging
from mesoclinic.people.models import (
    Client,
    Practitioner,
    Site,
)
from mesoclinic.safety.presentation import next_step_for
from mesoclinic.safety.services import screening_run
from mesoclinic.scheduling import selectors
from mesoclinic.scheduling.errors import ClientBusy
from mesoclinic.scheduling.errors import SchedulingErrorCode as Code
from mesoclinic.scheduling.models import (
    Appointment,
    AppointmentStatus,
    Course,
    CourseStatus,
)
from mesoclinic.scheduling.planning import (
    CoursePlanResult,
    CourseWishes,
    PlannedCourseSession,
    course_plan,
    course_replan_preview,
)
from mesoclinic.scheduling.services.appointments import appointment_cancel, appointment_reschedule
from mesoclinic.scheduling.services.batch import _write_all_at_once
from mesoclinic.scheduling.services.checks import _screen
from mesoclinic.scheduling.services.guarded import (
    MAX_REASON_LENGTH,
    Placement,
    _appointment_data,
    _label,
    _NewAppointment,
    _placement,
    _write_guarded,
    _writing,
)


def course_book(
    *,
    actor: Actor,
    client: Client,
    treatment: Treatment,
    start_date: dt.date,
    protocol: Protocol | None = None,
    practitioner: Practitioner | None = None,
    sessions: int | None = None,
    wishes: CourseWishes | None = None,
    site: Site | None = None,
) -> tuple[Course, CoursePlanResult]:
    """Plan and book every session of a course in ONE transaction: all or nothing.

    409 ``course_unavailable`` (nothing booked) when the plan is infeasible or a session's
    slot is taken meanwhile; 409 ``client_busy`` (nothing booked, ``failed_session`` in
    the details) when a session overlaps another active appointment of the client; 422 ``screening_refused`` when screening refuses the client
    (checked for the first session with each planned practitioner).
    """
    plan = course_plan(
        client=client,
        treatment=treatment,
        start_date=start_date,
        protocol=protocol,
        practitioner=practitioner,
        sessions=sessions,
        wishes=wishes,
        site=site,
    )
    if not plan.feasible:
        raise Conflict(
            Code.COURSE_UNAVAILABLE,
            "The whole course cannot be placed: "
            + (
                f"session {plan.failed_session} has no free slot in its window."
                if plan.failed_session
                else "no session can be placed."
            ),
            details={"failed_session": plan.failed_session},
        )
    screened: set[str] = set()
    for session in plan.sessions:
        assert session.slot is not None
        if session.slot.practitioner in screened and not treatment.contains_toxin:
            continue  # toxin: every session, for the interval with other toxin bookings
        screened.add(session.slot.practitioner)
        _screen(
            actor=actor,
            client=client,
            treatment=treatment,
            formulation=None,
            practitioner=plan.search.practitioners[session.slot.practitioner],
            start=session.slot.start,
            site=plan.site,
        )
    now = clock.now()
    label = _label(actor)[:150]
    with _writing():
        course = Course.objects.create(
            client=client,
            treatment=treatment,
            protocol=plan.protocol,
            preferred_practitioner=practitioner,
            status=CourseStatus.ACTIVE,
            price=plan.price,
            created_at=now,
        )
        placements: list[Placement] = []
        inserts: list[_NewAppointment] = []
        for session in plan.sessions:
            assert session.slot is not None
            assert session.option is not None
            placements.append(_placement(plan.search, session.option.slot))
            inserts.append(
                _NewAppointment(
                    client=client,
                    treatment=treatment,
                    formulation=treatment.default_formulation,
                    booked_at=now,
                    booked_by_label=label,
                    course=course,
                    session_number=session.number,
                )
            )
        # Usually every session still fits as planned: one re-check, one INSERT.
        appointments = _write_all_at_once(placements=placements, inserts=inserts, client=client)
        if appointments is None:
            appointments = [
                _write_session(session, placement, insert, client=client, treatment=treatment)
                for session, placement, insert in zip(
                    plan.sessions, placements, inserts, strict=True
                )
            ]
        course_entry = audit_entry(
            actor=actor,
            action="course.book",
            obj=course,
            client_id=client.pk,
            summary=f"{treatment.code} course of {len(appointments)} sessions from "
            f"{appointments[0].start:%Y-%m-%d}",
            data={
                "protocol": plan.protocol.code,
                "appointments": [appointment.pk for appointment in appointments],
                "price": str(plan.price),
            },
        )
        session_entries = [
            audit_entry(
                actor=actor,
                action="appointment.book",
                obj=appointment,
                client_id=client.pk,
                summary=f"{treatment.code} session {appointment.session_number} "
                f"{appointment.start:%Y-%m-%d %H:%M}",
                data=_appointment_data(appointment),
            )
            for appointment in appointments
        ]
        audit_record_many([course_entry, *session_entries])
        messaging.appointments_booked_queue(appointments=appointments)
    plan.appointments = appointments
    return course, plan


def _write_session(
    session: PlannedCourseSession,
    placement: Placement,
    insert: _NewAppointment,
    *,
    client: Client,
    treatment: Treatment,
) -> Appointment:
    """One session through ``_write_guarded``, its refusals naming the session: 409
    ``client_busy`` (with ``failed_session``) or ``course_unavailable``."""
    slot = session.slot
    assert slot is not None
    try:
        return _write_guarded(
            placements=[placement], client=client, treatment=treatment, write=insert
        )
    except ClientBusy as error:
        raise ClientBusy(
            f"Session {session.number} ({slot.start:%Y-%m-%d %H:%M}): {error.message} "
            "Nothing was booked.",
            **error.details,
            failed_session=session.number,
        ) from None
    except Conflict:
        raise Conflict(
            Code.COURSE_UNAVAILABLE,
            f"Session {session.number} ({slot.start:%Y-%m-%d %H:%M}) was just taken; "
            "nothing was booked. Plan the course again.",
            details={"failed_session": session.number},
        ) from None


@dataclass(frozen=True, slots=True)
class PlanWarnings:
    """What a planned course should be told before it is booked: ``clinical`` lists the
    screening reasons (code, message) for practitioners; ``front_desk`` the same in
    words without clinical content (the outcome's next step)."""

    clinical: list[tuple[str, str]]
    front_desk: list[tuple[str, str]]


def course_plan_warnings(*, actor: Actor, plan: CoursePlanResult) -> PlanWarnings:
    """Screen the first planned session (no audit entry, nothing written) and return what
    stands between the plan and treatment: e.g. ``consent_missing``."""
    first = next((session for session in plan.sessions if session.slot is not None), None)
    if first is None or first.slot is None:
        return PlanWarnings([], [])
    result = screening_run(
        actor=actor,
        client=plan.client,
        treatment=plan.treatment,
        formulation=None,
        practitioner=plan.search.practitioners.get(first.slot.practitioner),
        on=first.slot.start.astimezone(plan.site.tzinfo).date(),
        at=first.slot.start,
        audit=False,
        toxin_bookings=selectors.toxin_booking_days(client=plan.client)
        if plan.treatment.contains_toxin
        else (),
    )
    clinical = [(reason.code.value, reason.message) for reason in result.reasons]
    front_desk: list[tuple[str, str]] = []
    if result.reasons:
        outcome = result.outcome.value
        front_desk.append((f"screening_{outcome}", next_step_for(outcome)))
    return PlanWarnings(clinical, front_desk)


def course_replan_apply(*, actor: Actor, course: Course, after_session: int) -> list[Appointment]:
    """Move the later sessions of a course as ``course_replan_preview`` proposes, all or
    nothing: 409 ``course_unavailable`` (nothing moved) when some session cannot be placed
    or a slot was taken meanwhile. Each move is a guarded reschedule (screened, audited,
    the client told)."""
    replan = course_replan_preview(course=course, after_session=after_session)
    if not replan.feasible or replan.search is None:
        failed = next((a.session_number for a, slot in replan.moves if slot is None), None)
        raise Conflict(
            Code.COURSE_UNAVAILABLE,
            f"Session {failed} has no free slot in its window: nothing was moved."
            if failed
            else "Nothing to re-plan.",
            details={"failed_session": failed},
        )
    moves = [(appointment, slot) for appointment, slot in replan.moves if slot is not None]
    if moves and moves[0][1].start > moves[0][0].start:
        moves.reverse()  # later: move the last first, so no session meets another's old time
    practitioners = replan.search.practitioners
    moved: list[Appointment] = []
    with _writing():
        for appointment, slot in moves:
            if (slot.start, slot.practitioner) == (
                appointment.start,
                appointment.practitioner.code,
            ):
                continue
            try:
                moved_one = appointment_reschedule(
                    actor=actor,
                    appointment=appointment,
                    start=slot.start,
                    practitioner=practitioners[slot.practitioner],
                    check_course_window=False,
                )
            except Conflict as error:
                raise Conflict(
                    Code.COURSE_UNAVAILABLE,
                    f"Session {appointment.session_number}: {error.message} Nothing was moved.",
                    details={"failed_session": appointment.session_number},
                ) from None
            moved.append(moved_one)
        audit_record(
            actor=actor,
            action="course.replan",
            obj=course,
            client_id=course.client_id,
            summary=f"Re-planned {len(moves)} session(s) after session {after_session}",
            data={"after_session": after_session, "moved": [a.pk for a in moved]},
        )
    moved.sort(key=lambda appointment: appointment.session_number or 0)
    return moved


def course_cancel(*, actor: Actor, course: Course, reason: str = "") -> Course:
    """Cancel a course and every booked session still ahead of it."""
    with _writing():
        course = Course.objects.select_for_update().get(pk=course.pk)
        now = clock.now()
        for appointment in Appointment.objects.filter(
            course=course, status=AppointmentStatus.BOOKED, start__gte=now
        ):
            appointment_cancel(actor=actor, appointment=appointment, reason=reason)
        course.status = CourseStatus.CANCELLED
        course.save(update_fields=["status"])
        audit_record(
            actor=actor,
            action="course.cancel",
            obj=course,
            client_id=course.client_id,
            summary=f"Cancelled course {course.pk}",
            data={"reason": reason[:MAX_REASON_LENGTH]},
        )
    return course
