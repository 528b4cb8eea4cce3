"""Demo clinical records: past sessions with charts, outcomes, a shortened maintenance
interval, completed follow-ups and one adverse event. All people are fictional.

Called by the demo loader after the clinic, catalogue, clients and safety data exist.
Past sessions are written as historical records through
``records.services.treatment_records`` (screening is not re-run against today's
questionnaires). Idempotent: if the demo sessions exist, nothing changes.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction

from mesoclinic.catalogue.models import Batch, Treatment
from mesoclinic.core import clock
from mesoclinic.people.models import Client, Device, Practitioner, Room, Site
from mesoclinic.records.models import AdverseEvent, FollowUp, FollowUpOutcome, TreatmentRecord
from mesoclinic.records.reactions import at_adverse_event_threshold
from mesoclinic.records.services.adverse_events import adverse_event_report
from mesoclinic.records.services.assessments import assessment_record
from mesoclinic.records.services.follow_ups import follow_up_complete
from mesoclinic.records.services.inputs import AreaInput, ChartPointInput, ProductInput
from mesoclinic.records.services.treatment_records import record_save, record_sign
from mesoclinic.scheduling.models import Appointment, AppointmentStatus

DEMO_MARK = "demo-records"

# (client email, treatment, practitioner, room, days ago, chart points (x, y), reactions)
SESSIONS = [
    (
        "amelia.hart@example.com",
        "face-revitalise",
        "dr-patel",
        "room-1",
        35,
        [(0.36, 0.24), (0.5, 0.22), (0.64, 0.24), (0.3, 0.55), (0.7, 0.55)],
        ["purple_dots"],
    ),
    (
        "amelia.hart@example.com",
        "face-revitalise",
        "dr-patel",
        "room-1",
        28,
        [(0.38, 0.25), (0.5, 0.23), (0.62, 0.25), (0.32, 0.56), (0.68, 0.56)],
        ["purple_dots", "redness"],
    ),
    (
        "amelia.hart@example.com",
        "face-revitalise",
        "dr-patel",
        "room-1",
        21,
        [(0.37, 0.24), (0.5, 0.21), (0.63, 0.24)],
        ["none"],
    ),
    (
        "sophie.carter@example.com",
        "pigmentation",
        "nurse-lewis",
        "room-2",
        120,
        [(0.3, 0.5), (0.7, 0.5), (0.5, 0.28)],
        ["redness"],
    ),
    (
        "sophie.carter@example.com",
        "pigmentation",
        "nurse-lewis",
        "room-2",
        29,
        [(0.31, 0.5), (0.69, 0.5), (0.5, 0.27)],
        ["purple_dots"],
    ),
    (
        "freya.adeyemi@example.com",
        "scalp-hair",
        "nurse-okafor",
        "room-3",
        14,
        [(0.5, 0.3), (0.45, 0.6), (0.55, 0.6), (0.5, 0.7)],
        ["none"],
    ),
    # a session with each device the clinic owns (issue #19)
    (
        "lucas.byrne@example.com",
        "acne-scars",
        "nurse-lewis",
        "room-2",
        35,
        [(0.3, 0.55), (0.7, 0.55), (0.35, 0.65)],
        ["redness"],
    ),
    (
        "zara.qureshi@example.com",
        "no-needle-infusion",
        "therapist-ng",
        "room-3",
        20,
        [],
        ["redness"],
    ),
    (
        "hannah.osei@example.com",
        "acne-scars-collagen-pin",
        "nurse-lewis",
        "room-2",
        21,
        [(0.3, 0.55), (0.7, 0.55), (0.32, 0.62), (0.68, 0.62)],
        ["redness", "bruise_small"],
    ),
    (
        "emily.sato@example.com",
        "face-revitalise-injector",
        "dr-patel",
        "room-1",
        10,
        [(0.36, 0.24), (0.5, 0.22), (0.64, 0.24), (0.35, 0.45), (0.65, 0.45)],
        ["purple_dots", "under_eye_swelling"],
    ),
    (
        "hannah.osei@example.com",
        "acne-scars-roller",
        "nurse-lewis",
        "room-2",
        7,
        [(0.3, 0.55), (0.7, 0.55)],
        ["redness"],
    ),
    (
        "freya.adeyemi@example.com",
        "scalp-hair-gun",
        "nurse-okafor",
        "room-3",
        7,
        [(0.5, 0.3), (0.45, 0.55), (0.55, 0.55)],
        ["none"],
    ),
    # the adverse event's session stays last (see load_records_demo)
    (
        "olivia.brennan@example.com",
        "face-revitalise",
        "dr-patel",
        "room-1",
        42,
        [(0.4, 0.6), (0.6, 0.6)],
        ["bruise_large"],
    ),
]

BRUISE_CM = {"olivia.brennan@example.com": Decimal("5")}
"""The measured size of a demo bruise, by client."""

# treatment → (device code, its settings); sessions of other treatments are freehand
DEVICE_USE: dict[str, tuple[str, dict[str, int | float | str]]] = {
    "face-revitalise-injector": (
        "vital-injector",
        {"needle_depth_mm": 0.6, "volume_per_shot_ml": 0.02, "suction_kpa": 30, "shots": 180},
    ),
    "acne-scars-collagen-pin": (
        "collagen-pin",
        {"needle_depth_mm": 1.5, "speed_hz": 120, "passes": 3},
    ),
    "acne-scars-roller": ("microneedling-roller", {"needle_depth_mm": 0.5, "passes": 4}),
    "acne-scars": (
        "dermafrac",
        {"needle_depth_mm": 0.5, "vacuum_kpa": 25, "infusion_ml_per_min": 1, "passes": 3},
    ),
    "scalp-hair-gun": (
        "mesotherapy-gun",
        {"needle_depth_mm": 1.5, "volume_per_shot_ml": 0.02, "rate_hz": 4},
    ),
    "no-needle-infusion": (
        "electroporation-wand",
        {"voltage_v": 12, "pulse_ms": 5, "duration_min": 20, "note": "hydrating programme"},
    ),
}

AREA_BY_TREATMENT = {
    "face-revitalise": ("forehead", "nappage", "face"),
    "pigmentation": ("cheek-left", "papule", "face"),
    "scalp-hair": ("vertex", "point-by-point", "scalp"),
    "face-revitalise-injector": ("face", "device", "face"),
    "acne-scars": ("cheek-left", "device", "face"),
    "acne-scars-collagen-pin": ("cheek-left", "device", "face"),
    "acne-scars-roller": ("cheek-left", "device", "face"),
    "scalp-hair-gun": ("vertex", "device", "scalp"),
    "no-needle-infusion": ("face", "device", "face"),
}


def _session_start(days_ago: int, site: Site) -> dt.datetime:
    """10:00 local on a weekday ``days_ago`` days back (moved earlier off weekends)."""
    day = clock.today(site.tzinfo) - dt.timedelta(days=days_ago)
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(10), tzinfo=site.tzinfo)


def _usable_batch(treatment: Treatment) -> Batch:
    """The demo batch of the treatment's product with the longest shelf life left."""
    return Batch.objects.filter(formulation=treatment.default_formulation).latest("expires_on")


def load_records_demo() -> None:
    """Load the demo clinic's past sessions, outcomes and an adverse event (idempotent)."""
    if Appointment.objects.filter(notes=DEMO_MARK).exists():
        return
    site = Site.objects.get(code="london")
    with transaction.atomic():
        records = [_load_session(site, *session) for session in SESSIONS]
        _close_old_follow_ups()
        _load_assessments()
        event = _load_adverse_event(records[-1])
        _close_follow_ups_with_event(records[-1], event)


def _load_session(
    site: Site,
    email: str,
    treatment_code: str,
    practitioner_code: str,
    room_code: str,
    days_ago: int,
    chart: list[tuple[float, float]],
    reactions: list[str],
) -> TreatmentRecord:
    treatment = Treatment.objects.get(code=treatment_code)
    practitioner = Practitioner.objects.get(code=practitioner_code)
    start = _session_start(days_ago, site)
    device_code, device_settings = DEVICE_USE.get(treatment_code, ("", {}))
    device = Device.objects.get(code=device_code) if device_code else None
    appointment = Appointment.objects.create(
        client=Client.objects.get(email=email),
        treatment=treatment,
        formulation=treatment.default_formulation,
        site=site,
        practitioner=practitioner,
        room=Room.objects.get(code=room_code),
        device=device,
        start=start - dt.timedelta(minutes=treatment.numbing_minutes),
        treatment_start=start,
        end=start + dt.timedelta(minutes=treatment.treatment_minutes),
        busy_until=start + dt.timedelta(minutes=treatment.treatment_minutes),
        status=AppointmentStatus.FULFILLED,
        price=treatment.price,
        booked_at=start - dt.timedelta(days=7),
        booked_by_label="demo",
        notes=DEMO_MARK,
    )
    batch = _usable_batch(treatment)
    area, technique, chart_map = AREA_BY_TREATMENT[treatment_code]
    volume = Decimal("0.05") * len(chart)
    per_point = volume / len(chart) if chart else None
    actor = get_user_model().objects.get(username=practitioner_code)
    record = record_save(
        actor=actor,
        appointment=appointment,
        products=[ProductInput(batch.formulation.code, batch.lot, Decimal("2.0"))],
        areas=[
            AreaInput(
                area=area,
                technique=technique,
                points=len(chart) * 4,
                volume_ml=Decimal("2.0"),
                needle_gauge=32,
                needle_length_mm=Decimal("4"),
                angle_deg=45,
                depth_mm=_depth(technique, device_settings),
                chart_map=chart_map,
                chart_points=[ChartPointInput(x, y, per_point) for x, y in chart],
            )
        ],
        numbing_used=treatment.numbing_minutes > 0,
        reactions=reactions,
        bruise_cm=BRUISE_CM.get(email) if "bruise_large" in reactions else None,
        device_settings=device_settings,
        notes="Demo session (fictional).",
        historical=True,
    )
    return record_sign(actor=actor, record=record, historical=True)


def _depth(technique: str, device_settings: dict[str, int | float | str]) -> Decimal:
    """The area's depth: the device's needle depth when it has one, else the technique's."""
    if "needle_depth_mm" in device_settings:
        return Decimal(str(device_settings["needle_depth_mm"]))
    return Decimal("4") if technique == "point-by-point" else Decimal("2")


def _close_old_follow_ups() -> None:
    """Follow-ups already due are recorded: no adverse event, except those of a session at
    the adverse-event threshold (the large bruise), closed with its event."""
    due = FollowUp.objects.filter(completed_at__isnull=True, due_at__lte=clock.now())
    for follow_up in due.select_related("record"):
        if at_adverse_event_threshold(follow_up.record.reactions or ()):
            continue
        follow_up_complete(
            actor=None,
            follow_up=follow_up,
            outcome=FollowUpOutcome.NO_ADVERSE_EVENT,
            notes="Phoned: all settled (demo).",
        )


def _load_assessments() -> None:
    amelia = Client.objects.get(email="amelia.hart@example.com")
    sophie = Client.objects.get(email="sophie.carter@example.com")
    freya = Client.objects.get(email="freya.adeyemi@example.com")
    site = Site.objects.get(code="london")
    face = Treatment.objects.get(code="face-revitalise")
    pigmentation = Treatment.objects.get(code="pigmentation")
    scalp = Treatment.objects.get(code="scalp-hair")
    rows = [
        (amelia, face, "gais", {"score": 3}, 28),
        (amelia, face, "gais", {"score": 2}, 21),
        (sophie, pigmentation, "mmasi", _mmasi(forehead=2, malar=3, chin=1, darkness=2), 120),
        (sophie, pigmentation, "mmasi", _mmasi(forehead=1, malar=2, chin=1, darkness=2), 60),
        # worsened since the previous maintenance visit: next interval 56 days
        (sophie, pigmentation, "mmasi", _mmasi(forehead=2, malar=3, chin=1, darkness=3), 29),
        (freya, scalp, "hair-density", {"value": 142}, 90),
        (freya, scalp, "hair-density", {"value": 151}, 14),
    ]
    for client, treatment, scale, components, days_ago in rows:
        assessment_record(
            actor=None,
            client=client,
            scale=scale,
            components=components,
            treatment=treatment,
            assessed_at=_session_start(days_ago, site) + dt.timedelta(minutes=50),
        )


def _mmasi(*, forehead: int, malar: int, chin: int, darkness: int) -> dict[str, int]:
    areas = {"forehead": forehead, "left_malar": malar, "right_malar": malar, "chin": chin}
    components: dict[str, int] = {}
    for region, area in areas.items():
        components[f"{region}_area"] = area
        components[f"{region}_darkness"] = darkness
    return components


def _close_follow_ups_with_event(record: TreatmentRecord, event: AdverseEvent) -> None:
    """The large-bruise session's follow-ups already due: the adverse event, reported."""
    for follow_up in record.follow_ups.filter(completed_at__isnull=True, due_at__lte=clock.now()):
        follow_up_complete(
            actor=None,
            follow_up=follow_up,
            outcome=FollowUpOutcome.ADVERSE_EVENT,
            notes="Large bruise reported as an adverse event (demo).",
            adverse_event=event,
        )


def _load_adverse_event(record: TreatmentRecord) -> AdverseEvent:
    """Olivia Brennan (on warfarin): a large bruise after her session, recovering."""
    return adverse_event_report(
        actor=record.signed_by,
        client=record.client,
        appointment=record.appointment,
        onset=record.performed_at.date() + dt.timedelta(days=1),
        description="Large bruise (5 cm) over the left cheek, tender; no nodules.",
        lots=[use.batch.lot for use in record.products.all()],
        seriousness=[],
        outcome="recovered",
        treatment_given="Cold compress; arnica gel; reviewed at 7 days.",
        other_medicines=["Warfarin 3 mg daily"],
        ended_on=record.performed_at.date() + dt.timedelta(days=10),
    )
