"""The scheduling API's request and answer schemas (shared by ``api.waitlist``)."""

from __future__ import annotations

from decimal import Decimal

from ninja import Field, Schema

from mesoclinic.api.types import Flag, InputSchema, WholeNumber
from mesoclinic.scheduling import planning


class SlotOut(Schema):
    start: str
    treatment_start: str
    end: str
    practitioner: str
    room: str
    device: str | None


class AvailabilityOut(Schema):
    slots: list[SlotOut]


class ReasonOut(Schema):
    code: str
    severity: str
    message: str
    source: str


class ScreeningOut(Schema):
    outcome: str
    next_step: str
    reasons: list[ReasonOut]


class MoneyOut(Schema):
    amount: str
    currency: str


class AppointmentOut(Schema):
    id: str
    status: str
    client: str
    treatment: str
    site: str
    start: str
    treatment_start: str
    end: str
    practitioner: str
    room: str
    device: str | None
    formulation: str | None
    course: str | None
    session_number: int | None
    price: MoneyOut
    cancelled_at: str | None
    cancel_reason: str
    course_replan: str | None = Field(
        None,
        description="After a course session moved or was cancelled: where to re-plan the "
        "later sessions (POST, body {after_session})",
    )


class BookedOut(AppointmentOut):
    screening: ScreeningOut


class NoShowChargeOut(Schema):
    deposit_kept: MoneyOut
    fee: MoneyOut


class NoShowOut(AppointmentOut):
    no_show_charge: NoShowChargeOut


def money_out(amount: Decimal) -> dict[str, str]:
    return {"amount": f"{amount:.2f}", "currency": "GBP"}


class AppointmentIn(InputSchema):
    client: int | str
    treatment: str
    start: str
    practitioner: str | None = None
    formulation: str | None = None
    site: str | None = None
    room: str | None = None
    device: str | None = None
    notes: str = Field("", max_length=2000)


class CancelIn(InputSchema):
    reason: str = Field("", max_length=300)


class RescheduleIn(InputSchema):
    start: str
    practitioner: str | None = None


class PreferencesIn(InputSchema):
    weekdays: list[int | str] | None = None
    earliest_time: str | None = None
    latest_time: str | None = None
    time_of_day: str | None = Field(None, max_length=20)
    practitioner: str | None = None


class CourseIn(InputSchema):
    client: int | str
    treatment: str
    start_date: str
    protocol: str | None = None
    practitioner: str | None = None
    sessions: int | None = None
    site: str | None = None
    preferences: PreferencesIn | None = None
    time_of_day: str | None = Field(
        None, max_length=20, description="morning, afternoon, evening or HH:MM (preferred)"
    )
    preferred_practitioner: str | None = Field(
        None, description="A practitioner preferred, not required (``practitioner`` requires)"
    )


class PlannedSlotOut(SlotOut):
    practitioner_name: str = ""
    room_name: str = ""
    device_name: str | None = None


class SessionOut(Schema):
    number: int
    phase: str
    target_date: str
    earliest: str
    latest: str
    slot: PlannedSlotOut | None
    appointment: str | None = None
    status: str | None = None


class WarningOut(Schema):
    code: str
    message: str


class CoursePlanOut(Schema):
    protocol: str
    treatment: str
    client: str
    sessions: list[SessionOut]
    feasible: bool
    failed_session: int | None
    price: MoneyOut
    warnings: list[WarningOut] = []


class CourseOut(Schema):
    id: str
    status: str
    protocol: str
    treatment: str
    client: str
    sessions: list[SessionOut]
    price: MoneyOut


class ReplanCourseIn(InputSchema):
    after_session: WholeNumber = Field(ge=0, le=planning.MAX_COURSE_SESSIONS)
    apply: Flag = False


class ReplanMoveOut(Schema):
    appointment: str
    number: int
    current: SlotOut
    proposed: SlotOut | None


class CourseReplanOut(Schema):
    course: str
    after_session: int
    feasible: bool
    applied: bool
    moves: list[ReplanMoveOut]


class AbsenceIn(InputSchema):
    starts_at: str
    ends_at: str
    reason: str = Field("", max_length=200)


class ProposalOut(Schema):
    appointment: str
    kind: str
    slot: SlotOut


class PhoneOut(Schema):
    appointment: AppointmentOut
    reason: str


class ReplanOut(Schema):
    absence: str
    practitioner: str
    starts_at: str
    ends_at: str
    reason: str
    affected: list[AppointmentOut]
    proposals: list[ProposalOut]
    phone: list[PhoneOut]


class MoveIn(InputSchema):
    appointment: int | str
    start: str
    practitioner: str | None = None


class ReplanApplyIn(InputSchema):
    moves: list[MoveIn] | None = None


class ReplanAppliedOut(Schema):
    moved: list[AppointmentOut]
    phone: list[PhoneOut]
