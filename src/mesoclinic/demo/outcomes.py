"""The demo's outcome cohort: sixteen fictional clients who had six sessions of "Scalp and
hair" (half in London with Grace Okafor, half in Manchester with Daniel Shaw), their hair
density counted at a baseline visit, after the third session and after the sixth, so the
outcomes report (``/reports/outcomes/``) has a treatment with enough clients to show.

The counts spread the way a clinic's would: most clients gain 10–25 % by the sixth
session, two barely change (non-responders), one gains early and then stalls. Sessions are
written as historical records through ``records.services.treatment_records`` (saved, then
signed) and the counts through ``assessment_record``, as real records are. Deterministic: the same days,
times and counts every run, relative to today. Idempotent: once loaded, nothing changes.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model

from mesoclinic.catalogue import services as catalogue
from mesoclinic.catalogue.models import Batch, Treatment
from mesoclinic.core import clock
from mesoclinic.people import services as people
from mesoclinic.people.models import Client, Practitioner, Room, Site
from mesoclinic.records.models import FollowUpOutcome, TreatmentRecord
from mesoclinic.records.services.assessments import assessment_record
from mesoclinic.records.services.follow_ups import follow_up_complete
from mesoclinic.records.services.inputs import AreaInput, ChartPointInput, ProductInput
from mesoclinic.records.services.treatment_records import record_save, record_sign
from mesoclinic.scheduling.models import (
    Appointment,
    AppointmentStatus,
    Course,
    CourseStatus,
)

DEMO_MARK = "demo-outcomes"
VOLUME_ML = Decimal("2.0")
"""Scalp cocktail given per session."""
TREATMENT = "scalp-hair"
SCALE = "hair-density"

SESSION_DAYS = (0, 7, 14, 21, 35, 49)
"""The first six sessions of the standard course: weekly four times, then fortnightly. The
cohort's courses stopped there (completed at six sessions)."""

# site → (practitioner, room, the first client's time of day); each client of a site has
# their own time, 40 minutes after the previous one's, so no two sessions overlap.
TEAMS = {
    "london": ("nurse-okafor", "room-3", dt.time(11, 0)),
    "manchester": ("nurse-shaw", "mcr-room-1", dt.time(11, 0)),
}

# (given, family, birth date, sex, site, course began N days ago, hairs per cm² at
#  baseline, after three sessions, after six)
COHORT = [
    ("Harriet", "Lowe", dt.date(1981, 2, 14), "female", "london", 150, 128, 136, 149),
    ("Tom", "Ashby", dt.date(1977, 6, 2), "male", "london", 143, 141, 147, 160),
    ("Priya", "Raman", dt.date(1988, 11, 20), "female", "london", 136, 119, 126, 141),
    ("Callum", "Reid", dt.date(1984, 3, 9), "male", "london", 129, 152, 158, 171),
    ("Nadia", "Haddad", dt.date(1990, 8, 30), "female", "london", 122, 133, 135, 137),
    ("Joe", "Marsh", dt.date(1972, 12, 1), "male", "london", 115, 110, 121, 134),
    ("Beth", "Collins", dt.date(1985, 5, 17), "female", "london", 108, 126, 138, 147),
    ("Owen", "Price", dt.date(1979, 9, 25), "male", "london", 101, 138, 140, 136),
    ("Sana", "Iqbal", dt.date(1987, 1, 8), "female", "manchester", 148, 124, 130, 144),
    ("Liam", "Doyle", dt.date(1982, 4, 19), "male", "manchester", 141, 146, 153, 164),
    ("Ruth", "Evans", dt.date(1975, 10, 3), "female", "manchester", 134, 131, 146, 152),
    ("Kofi", "Mensah", dt.date(1983, 7, 22), "male", "manchester", 127, 139, 149, 167),
    ("Erin", "Walsh", dt.date(1991, 3, 15), "female", "manchester", 120, 117, 122, 125),
    ("Adam", "Kerr", dt.date(1978, 8, 11), "male", "manchester", 113, 144, 156, 163),
    ("Mei", "Chen", dt.date(1986, 12, 29), "female", "manchester", 106, 128, 141, 146),
    ("Ravi", "Nair", dt.date(1980, 6, 6), "male", "manchester", 99, 150, 159, 168),
]
"""Nadia Haddad and Erin Walsh gain under 10 % (non-responders at six sessions); Owen
Price gains early, then slips back."""


def email_of(given: str, family: str) -> str:
    return f"{given}.{family}.scalp@example.com".lower()


def load_outcomes_demo() -> None:
    """Load the cohort's sessions and counts (idempotent)."""
    if Appointment.objects.filter(notes=DEMO_MARK).exists():
        return
    treatment = Treatment.objects.get(code=TREATMENT)
    batch = _cohort_batch(treatment)
    slot: dict[str, int] = {}
    for given, family, birth, sex, site_code, days_ago, *counts in COHORT:
        site = Site.objects.get(code=site_code)
        client = _client(given, family, birth, sex, site)
        practitioner_code, room_code, first_time = TEAMS[site_code]
        place = slot[site_code] = slot.get(site_code, -1) + 1
        at = (
            dt.datetime.combine(dt.date.min, first_time) + dt.timedelta(minutes=40 * place)
        ).time()
        practitioner = Practitioner.objects.get(code=practitioner_code)
        course = Course.objects.create(
            client=client,
            treatment=treatment,
            protocol=treatment.default_protocol,
            preferred_practitioner=practitioner,
            status=CourseStatus.COMPLETED,
            price=treatment.price * len(SESSION_DAYS),
            created_at=_start(site, practitioner, days_ago + 7, at),
            notes=DEMO_MARK,
        )
        records = [
            _session(
                course,
                site,
                practitioner,
                Room.objects.get(code=room_code),
                batch,
                number,
                _start(site, practitioner, days_ago - offset, at),
            )
            for number, offset in enumerate(SESSION_DAYS, start=1)
        ]
        _assess(client, treatment, records, counts)
        for record in records:
            _close_follow_ups(record)


def _cohort_batch(treatment: Treatment) -> Batch:
    """The lot the cohort's sessions used: delivered before the first of them, used up by
    the last, expired since."""
    today = clock.today()
    formulation = treatment.default_formulation
    if formulation is None:
        raise ValueError(f"{treatment.code} has no default formulation")
    return catalogue.batch_receive(
        actor=None,
        formulation=formulation,
        lot="HAIRSC-COHORT",
        expires_on=today - dt.timedelta(days=30),
        received_on=today - dt.timedelta(days=max(row[5] for row in COHORT) + 14),
        quantity=VOLUME_ML * len(SESSION_DAYS) * len(COHORT),
    )


def _client(given: str, family: str, birth: dt.date, sex: str, site: Site) -> Client:
    email = email_of(given, family)
    found = Client.objects.filter(email=email).first()
    if found is not None:
        return found
    return people.client_create(
        actor=None,
        given_name=given,
        family_name=family,
        birth_date=birth,
        sex=sex,
        email=email,
        phone=f"07700 900{sum(map(ord, email)) % 1000:03d}",
        home_site=site,
    )


def _start(site: Site, practitioner: Practitioner, days_ago: int, at: dt.time) -> dt.datetime:
    """``at`` local time ``days_ago`` days back, moved earlier to a day the practitioner
    works at the site."""
    weekdays = set(practitioner.working_hours.filter(site=site).values_list("weekday", flat=True))
    day = clock.today(site.tzinfo) - dt.timedelta(days=days_ago)
    if not weekdays:
        raise ValueError(f"{practitioner.code} has no working hours at {site.code}")
    while day.weekday() not in weekdays:
        day -= dt.timedelta(days=1)
    return dt.datetime.combine(day, at, tzinfo=site.tzinfo)


def _session(
    course: Course,
    site: Site,
    practitioner: Practitioner,
    room: Room,
    batch: Batch,
    number: int,
    start: dt.datetime,
) -> TreatmentRecord:
    treatment = course.treatment
    end = start + dt.timedelta(minutes=treatment.treatment_minutes)
    appointment = Appointment.objects.create(
        client=course.client,
        treatment=treatment,
        formulation=treatment.default_formulation,
        site=site,
        practitioner=practitioner,
        room=room,
        start=start,
        treatment_start=start,
        end=end,
        busy_until=end,
        status=AppointmentStatus.FULFILLED,
        price=treatment.price,
        course=course,
        session_number=number,
        booked_at=start - dt.timedelta(days=7),
        booked_by_label="demo",
        notes=DEMO_MARK,
    )
    actor = get_user_model().objects.get(username=practitioner.code)
    record = record_save(
        actor=actor,
        appointment=appointment,
        products=[ProductInput(batch.formulation.code, batch.lot, VOLUME_ML)],
        areas=[
            AreaInput(
                area="vertex",
                technique="point-by-point",
                points=40,
                volume_ml=VOLUME_ML,
                needle_gauge=32,
                needle_length_mm=Decimal("4"),
                angle_deg=45,
                depth_mm=Decimal("4"),
                chart_map="scalp",
                chart_points=[
                    ChartPointInput(0.5, 0.3, None),
                    ChartPointInput(0.45, 0.55, None),
                    ChartPointInput(0.55, 0.55, None),
                ],
            )
        ],
        numbing_used=False,
        reactions=["none"] if number % 3 else ["redness"],
        device_settings={},
        notes="Demo session (fictional).",
        historical=True,
    )
    return record_sign(actor=actor, record=record, historical=True)


def _assess(
    client: Client, treatment: Treatment, records: list[TreatmentRecord], counts: list[int]
) -> None:
    """A count at the first visit before treatment, then at the end of sessions 3 and 6."""
    baseline, after_three, after_six = counts
    first, third, sixth = records[0].appointment, records[2].appointment, records[5].appointment
    for value, appointment, at in (
        (baseline, first, first.start - dt.timedelta(minutes=10)),
        (after_three, third, third.end + dt.timedelta(minutes=5)),
        (after_six, sixth, sixth.end + dt.timedelta(minutes=5)),
    ):
        assessment_record(
            actor=None,
            client=client,
            scale=SCALE,
            components={"value": value},
            treatment=treatment,
            appointment=appointment,
            assessed_at=at,
        )


def _close_follow_ups(record: TreatmentRecord) -> None:
    """The sessions' follow-up calls are long past: recorded, all settled."""
    for follow_up in record.follow_ups.filter(completed_at__isnull=True, due_at__lte=clock.now()):
        follow_up_complete(
            actor=None,
            follow_up=follow_up,
            outcome=FollowUpOutcome.NO_ADVERSE_EVENT,
            notes="Phoned: all settled (demo).",
        )
