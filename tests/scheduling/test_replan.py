"""Re-planning booked appointments when a practitioner's absence is entered."""

from __future__ import annotations

import datetime as dt

from mesoclinic.catalogue.models import Treatment
from mesoclinic.core.models import AuditEntry
from mesoclinic.people.models import Absence, Client, Practitioner
from mesoclinic.scheduling import services
from mesoclinic.scheduling.models import Appointment

from .conftest import LONDON, london

TUESDAY = "2027-03-02"


def _client(email: str) -> Client:
    return Client.objects.get(email=email)


def _book(time: str, practitioner: str, email: str = "amelia.hart@example.com", day=TUESDAY):
    return services.appointment_book(
        actor=None,
        client=_client(email),
        treatment=Treatment.objects.get(code="face-revitalise"),
        start=london(day, time),
        practitioner=Practitioner.objects.get(code=practitioner),
    )


def _absence(api, start="09:00", end="18:00", day=TUESDAY):
    return api.post(
        "/practitioners/dr-patel/absences",
        {
            "starts_at": london(day, start).isoformat(),
            "ends_at": london(day, end).isoformat(),
            "reason": "Sick",
        },
    )


def test_an_absence_lists_the_hit_appointments_with_a_proposal(api):
    # given: dr-patel has two clients on Tuesday, one on Wednesday
    first = _book("10:00", "dr-patel")
    second = _book("14:00", "dr-patel", "freya.adeyemi@example.com")
    _book("10:00", "dr-patel", "sophie.carter@example.com", day="2027-03-03")
    # when
    response = _absence(api)
    # then
    assert response.status_code == 201
    body = response.json()
    assert [a["id"] for a in body["affected"]] == [str(first.pk), str(second.pk)]
    assert [(p["appointment"], p["kind"]) for p in body["proposals"]] == [
        (str(first.pk), "other_practitioner"),
        (str(second.pk), "other_practitioner"),
    ]
    assert body["proposals"][0]["slot"]["start"] == first.start.isoformat()
    assert body["proposals"][0]["slot"]["practitioner"] in {"nurse-lewis", "nurse-okafor"}
    assert body["phone"] == []
    # nothing moved yet
    assert set(Appointment.objects.values_list("practitioner__code", flat=True)) == {"dr-patel"}


def test_proposals_never_collide_with_each_other(api):
    # given: three clients of dr-patel at 10:00 on three rooms' worth of time
    _book("10:00", "dr-patel")
    _book("10:00", "nurse-lewis", "freya.adeyemi@example.com")
    # when: dr-patel is away; only nurse-okafor is free at 10:00
    body = _absence(api).json()
    # then
    [proposal] = body["proposals"]
    assert proposal["kind"] == "other_practitioner"
    assert proposal["slot"]["practitioner"] == "nurse-okafor"


def test_when_nobody_is_free_then_the_nearest_date_in_the_window_is_proposed(api):
    # given: every qualified practitioner busy at 10:00 on Tuesday
    hit = _book("10:00", "dr-patel")
    _book("10:00", "nurse-lewis", "freya.adeyemi@example.com")
    _book("10:00", "nurse-okafor", "sophie.carter@example.com")
    # when
    body = _absence(api, "09:00", "18:00").json()
    # then: another time the same day, as close as possible
    [proposal] = body["proposals"]
    assert proposal["appointment"] == str(hit.pk)
    assert proposal["kind"] == "other_time"
    start = dt.datetime.fromisoformat(proposal["slot"]["start"]).astimezone(LONDON)
    assert start.date() == dt.date(2027, 3, 2)
    assert start.strftime("%H:%M") in {"09:30", "10:30"}


def test_when_the_day_is_full_then_the_nearest_other_date_is_proposed(api):
    # given: dr-patel's Tuesday client, and dr-patel away all Tuesday while the nurses are
    # away too
    hit = _book("10:00", "dr-patel")
    for code in ("nurse-lewis", "nurse-okafor"):
        Absence.objects.create(
            practitioner=Practitioner.objects.get(code=code),
            starts_at=london(TUESDAY, "00:00"),
            ends_at=london(TUESDAY, "23:59"),
        )
    # when
    body = _absence(api, "00:00", "23:59").json()
    # then: the same time on the nearest working day, with dr-patel again
    [proposal] = body["proposals"]
    assert proposal["appointment"] == str(hit.pk)
    assert proposal["kind"] == "other_date"
    start = dt.datetime.fromisoformat(proposal["slot"]["start"]).astimezone(LONDON)
    assert start.date() in {dt.date(2027, 3, 1), dt.date(2027, 3, 3)}
    assert start.strftime("%H:%M") == "10:00"
    assert proposal["slot"]["practitioner"] == "dr-patel"


def test_applying_the_replan_moves_the_appointments(api):
    # given
    first = _book("10:00", "dr-patel")
    absence_id = _absence(api).json()["absence"]
    # when
    response = api.post(f"/practitioners/dr-patel/absences/{absence_id}/replan", {})
    # then
    assert response.status_code == 200
    [moved] = response.json()["moved"]
    assert moved["id"] == str(first.pk)
    assert moved["practitioner"] in {"nurse-lewis", "nurse-okafor"}
    assert moved["start"] == first.start.isoformat()
    first.refresh_from_db()
    assert first.practitioner.code == moved["practitioner"]
    assert AuditEntry.objects.filter(action="absence.replan").count() == 1


def test_a_move_that_became_impossible_is_listed_for_a_phone_call(api):
    # given: the proposal is nurse-lewis at 10:00, but she is booked before applying
    first = _book("10:00", "dr-patel")
    absence_id = _absence(api).json()["absence"]
    # when: the receptionist applies a chosen move onto a time that is taken
    _book("10:00", "nurse-lewis", "freya.adeyemi@example.com")
    response = api.post(
        f"/practitioners/dr-patel/absences/{absence_id}/replan",
        {
            "moves": [
                {
                    "appointment": first.pk,
                    "start": first.start.isoformat(),
                    "practitioner": "nurse-lewis",
                }
            ]
        },
    )
    # then
    body = response.json()
    assert body["moved"] == []
    assert [item["appointment"]["id"] for item in body["phone"]] == [str(first.pk)]
    first.refresh_from_db()
    assert first.practitioner.code == "dr-patel"


def test_an_appointment_already_under_way_goes_on_the_phone_list(api, monkeypatch):
    first = _book("10:00", "dr-patel")
    monkeypatch.setattr("mesoclinic.core.clock.now", lambda: london(TUESDAY, "10:05"))
    body = _absence(api, "10:00", "18:00").json()
    assert [item["appointment"]["id"] for item in body["phone"]] == [str(first.pk)]


def test_the_absence_hides_the_practitioner_from_availability(api):
    _absence(api)
    slots = api.get(
        "/availability",
        treatment="face-revitalise",
        practitioner="dr-patel",
        **{"from": TUESDAY, "to": TUESDAY},
    ).json()["slots"]
    assert slots == []
    assert Absence.objects.count() == 1


def test_absence_bad_input(api):
    assert _absence(api, "18:00", "09:00").status_code == 400
    response = api.post(
        "/practitioners/dr-who/absences",
        {"starts_at": "2027-03-02T09:00:00+00:00", "ends_at": "2027-03-02T10:00:00+00:00"},
    )
    assert response.status_code == 400
    assert api.get("/practitioners/dr-patel/absences/999/replan").status_code == 404
    response = api.post(
        "/practitioners/dr-patel/absences",
        {"starts_at": "2027-03-02T09:00:00", "ends_at": "2027-03-02T10:00:00+00:00"},
    )
    assert response.status_code == 400


def test_a_course_session_moves_within_its_course_window(api):
    # given: a weekly course with dr-patel, every needle practitioner busy at session 2's time
    course = api.post(
        "/courses",
        {
            "client": _client("amelia.hart@example.com").pk,
            "treatment": "face-revitalise",
            "start_date": "2027-03-01",
            "practitioner": "dr-patel",
            "sessions": 3,
        },
    ).json()
    second = Appointment.objects.get(pk=int(course["sessions"][1]["appointment"]))
    day = second.start.astimezone(LONDON).date().isoformat()
    time = second.start.astimezone(LONDON).strftime("%H:%M")
    _book(time, "nurse-lewis", "freya.adeyemi@example.com", day=day)
    if second.start.astimezone(LONDON).weekday() != 0:
        _book(time, "nurse-okafor", "sophie.carter@example.com", day=day)
    # when: dr-patel is away on session 2's day
    body = _absence(api, "00:00", "23:59", day=day).json()
    # then: session 2 moves inside its window (6–8 days after session 1, 6–8 before session 3)
    [proposal] = body["proposals"]
    start = dt.datetime.fromisoformat(proposal["slot"]["start"]).astimezone(LONDON).date()
    first_day = dt.date.fromisoformat(course["sessions"][0]["slot"]["start"][:10])
    third_day = dt.date.fromisoformat(course["sessions"][2]["slot"]["start"][:10])
    assert 6 <= (start - first_day).days <= 8
    assert 6 <= (third_day - start).days <= 8
