"""Course planning and all-or-nothing course booking."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest

from mesoclinic.billing.models import Quote
from mesoclinic.catalogue.models import Treatment
from mesoclinic.core.errors import Conflict
from mesoclinic.people.models import Client, Practitioner
from mesoclinic.safety.models import ToxinAdministration
from mesoclinic.scheduling import planning, services
from mesoclinic.scheduling.models import Appointment, Course
from mesoclinic.scheduling.services import batch, courses

from .conftest import LONDON, london


def _amelia() -> Client:
    return Client.objects.get(email="amelia.hart@example.com")


def _body(**fields):
    return {
        "client": _amelia().pk,
        "treatment": "face-revitalise",
        "start_date": "2027-03-01",
    } | fields


def _local(iso: str) -> dt.datetime:
    return dt.datetime.fromisoformat(iso).astimezone(LONDON)


def test_meso_standard_plans_ten_sessions_within_their_windows(api):
    # when
    response = api.post("/courses/plan", _body())
    # then
    assert response.status_code == 200
    plan = response.json()
    assert plan["protocol"] == "meso-standard"
    assert plan["feasible"] is True
    assert plan["price"] == {"amount": "2550.00", "currency": "GBP"}  # 10 × £300 less 15%
    sessions = plan["sessions"]
    assert [s["number"] for s in sessions] == list(range(1, 11))
    assert [s["phase"] for s in sessions] == ["weekly"] * 4 + ["fortnightly"] * 2 + ["monthly"] * 4
    assert sessions[0]["slot"]["start"] == "2027-03-01T09:00:00+00:00"
    days = [_local(s["slot"]["start"]).date() for s in sessions]
    gaps = [(later - earlier).days for earlier, later in itertools.pairwise(days)]
    bounds = [(6, 8)] * 3 + [(12, 16)] * 2 + [(25, 31)] * 4
    assert all(low <= gap <= high for gap, (low, high) in zip(gaps, bounds, strict=True))
    for session in sessions:
        day = _local(session["slot"]["start"]).date().isoformat()
        assert session["earliest"] <= day <= session["latest"]
    assert len({s["slot"]["practitioner"] for s in sessions}) == 1  # one practitioner
    assert Appointment.objects.count() == 0  # planning books nothing


def test_maintenance_sessions_are_added_on_request(api):
    plan = api.post("/courses/plan", _body(sessions=12)).json()
    assert [s["phase"] for s in plan["sessions"]][-3:] == ["monthly", "maintenance", "maintenance"]
    last = [_local(s["slot"]["start"]).date() for s in plan["sessions"][-2:]]
    assert 84 <= (last[1] - last[0]).days <= 98
    assert plan["price"]["amount"] == "3060.00"  # 12 × £300 less 15%


def test_a_bank_holiday_moves_a_session_inside_its_window(api):
    # weekly sessions from Monday 15 March 2027: the third target is Easter Monday 29 March
    plan = api.post(
        "/courses/plan", _body(start_date="2027-03-15", practitioner="dr-patel", sessions=4)
    ).json()
    days = [_local(s["slot"]["start"]).date() for s in plan["sessions"]]
    assert days[2] == dt.date(2027, 3, 30)


@pytest.mark.parametrize(
    ("start_date", "change"),
    [("2027-03-16", dt.date(2027, 3, 28)), ("2027-10-19", dt.date(2027, 10, 31))],
)
def test_a_weekly_course_across_a_dst_change_keeps_its_local_time(api, start_date, change):
    # when: the client prefers afternoons from 14:00
    response = api.post(
        "/courses/plan",
        _body(
            start_date=start_date,
            practitioner="dr-patel",
            sessions=4,
            preferences={"earliest_time": "14:00"},
        ),
    )
    # then: every session at 14:00 London time, so the UTC time shifts by an hour
    sessions = response.json()["sessions"]
    starts = [_local(s["slot"]["start"]) for s in sessions]
    assert {start.strftime("%H:%M") for start in starts} == {"14:00"}
    assert starts[0].date() < change < starts[-1].date()
    utc_hours = {start.astimezone(dt.UTC).hour for start in starts}
    assert utc_hours == {13, 14}
    # and booking it stores the same instants
    booked = api.post(
        "/courses",
        _body(
            start_date=start_date,
            practitioner="dr-patel",
            sessions=4,
            preferences={"earliest_time": "14:00"},
        ),
    )
    assert booked.status_code == 201
    stored = Appointment.objects.filter(course_id=int(booked.json()["id"])).order_by("start")
    assert [a.start.astimezone(LONDON).strftime("%H:%M") for a in stored] == ["14:00"] * 4


def test_swelling_expected_treatments_prefer_fridays(api):
    plan = api.post("/courses/plan", _body(treatment="chin-jowl-fat")).json()
    assert plan["protocol"] == "fat-dissolving"
    assert len(plan["sessions"]) == 6
    weekdays = [_local(s["slot"]["start"]).weekday() for s in plan["sessions"]]
    # from Monday 1 March the course starts on the Friday, and stays on Fridays
    assert weekdays == [4] * 6
    assert plan["sessions"][0]["slot"]["start"].startswith("2027-03-05")


def test_client_preferences_are_honoured(api):
    plan = api.post(
        "/courses/plan",
        _body(
            sessions=4,
            preferences={
                "weekdays": ["wednesday"],
                "earliest_time": "16:00",
                "practitioner": "nurse-okafor",
            },
        ),
    ).json()
    starts = [_local(s["slot"]["start"]) for s in plan["sessions"]]
    assert {start.weekday() for start in starts} == {2}
    assert {start.strftime("%H:%M") for start in starts} == {"16:00"}
    assert {s["slot"]["practitioner"] for s in plan["sessions"]} == {"nurse-okafor"}


def test_toxin_courses_keep_84_days_apart_and_after_the_last_toxin(api):
    # given: James Whitaker had toxin recently (demo history)
    james = Client.objects.get(email="james.whitaker@example.com")
    last = ToxinAdministration.objects.filter(client=james).latest("administered_on")
    # when
    plan = api.post(
        "/courses/plan",
        {"client": james.pk, "treatment": "mesotox", "start_date": "2027-02-02", "sessions": 3},
    ).json()
    # then
    assert plan["protocol"] == "toxin-quarterly"
    days = [_local(s["slot"]["start"]).date() for s in plan["sessions"]]
    assert days[0] >= max(last.administered_on + dt.timedelta(days=84), dt.date(2027, 2, 2))
    assert all(84 <= (b - a).days <= 105 for a, b in itertools.pairwise(days))


def test_booking_a_course_books_every_session_in_one_go(api):
    # when
    response = api.post("/courses", _body())
    # then
    assert response.status_code == 201
    course = response.json()
    assert len(course["sessions"]) == 10
    ids = [int(s["appointment"]) for s in course["sessions"]]
    appointments = Appointment.objects.filter(pk__in=ids).order_by("start")
    assert [a.session_number for a in appointments] == list(range(1, 11))
    assert {a.course_id for a in appointments} == {int(course["id"])}
    assert course["price"] == {"amount": "2550.00", "currency": "GBP"}
    quote = Quote.objects.get(client=_amelia(), treatment__code="face-revitalise")
    assert (quote.sessions, quote.total) == (10, Decimal("2550.00"))  # the one price
    # and it reads back
    detail = api.get(f"/courses/{course['id']}").json()
    assert [s["appointment"] for s in detail["sessions"]] == [str(i) for i in ids]
    assert [s["phase"] for s in detail["sessions"]] == [s["phase"] for s in course["sessions"]]
    # later sessions' windows count from the actual date of the one before, as planned
    assert [s["latest"] for s in detail["sessions"]][1:] == [
        s["latest"] for s in course["sessions"]
    ][1:]
    assert {s["status"] for s in detail["sessions"]} == {"booked"}


def test_a_course_that_cannot_be_placed_books_nothing(api):
    # given: nurse-okafor's registration expires before a ten-session course could end
    okafor = Practitioner.objects.get(code="nurse-okafor")
    okafor.registration_expires_on = dt.date(2027, 5, 1)
    okafor.save()
    # when
    plan = api.post("/courses/plan", _body(practitioner="nurse-okafor")).json()
    response = api.post("/courses", _body(practitioner="nurse-okafor"))
    # then
    assert plan["feasible"] is False
    assert plan["failed_session"] is not None
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "course_unavailable"
    assert not Appointment.objects.exists()
    assert not Course.objects.exists()


def test_a_session_taken_meanwhile_rolls_the_whole_course_back(demo, monkeypatch):
    # given: a plan, then someone books session 5's practitioner at that time
    amelia = _amelia()
    treatment = Treatment.objects.get(code="face-revitalise")
    plan = planning.course_plan(client=amelia, treatment=treatment, start_date=dt.date(2027, 3, 1))
    fifth = plan.sessions[4].slot
    assert fifth is not None
    services.appointment_book(
        actor=None,
        client=Client.objects.get(email="freya.adeyemi@example.com"),
        treatment=treatment,
        start=fifth.start,
        practitioner=Practitioner.objects.get(code=fifth.practitioner),
    )
    monkeypatch.setattr(courses, "course_plan", lambda **kwargs: plan)
    # when
    with pytest.raises(Conflict) as refused:
        services.course_book(
            actor=None, client=amelia, treatment=treatment, start_date=dt.date(2027, 3, 1)
        )
    # then
    assert refused.value.code == "course_unavailable"
    assert refused.value.details == {"failed_session": 5}
    assert not Course.objects.exists()
    assert not Appointment.objects.filter(client=amelia).exists()


def test_a_session_taken_between_the_re_check_and_the_insert_is_named_and_books_nothing(
    demo, monkeypatch
):
    # given: session 5's practitioner booked by someone else, and a re-check that does
    # not see it (as when the other booking commits between the re-check and the insert)
    amelia = _amelia()
    treatment = Treatment.objects.get(code="face-revitalise")
    plan = planning.course_plan(client=amelia, treatment=treatment, start_date=dt.date(2027, 3, 1))
    fifth = plan.sessions[4].slot
    assert fifth is not None
    services.appointment_book(
        actor=None,
        client=Client.objects.get(email="freya.adeyemi@example.com"),
        treatment=treatment,
        start=fifth.start,
        practitioner=Practitioner.objects.get(code=fifth.practitioner),
    )
    monkeypatch.setattr(courses, "course_plan", lambda **kwargs: plan)
    monkeypatch.setattr(batch, "_recheck_rows", lambda placements, **kwargs: [])
    # when: the one INSERT of every session meets the database's guard
    with pytest.raises(Conflict) as refused:
        services.course_book(
            actor=None, client=amelia, treatment=treatment, start_date=dt.date(2027, 3, 1)
        )
    # then: the sessions are booked one by one instead, and the fifth is refused
    assert refused.value.code == "course_unavailable"
    assert refused.value.details == {"failed_session": 5}
    assert not Course.objects.exists()
    assert not Appointment.objects.filter(client=amelia).exists()


def test_a_course_overlapping_the_clients_other_booking_is_a_409_and_books_nothing(api):
    # given: Amelia's course would have session 3 at a time she is already booked, with
    # another practitioner in another room
    plan = api.post("/courses/plan", _body()).json()
    third = plan["sessions"][2]["slot"]
    other = "nurse-lewis" if third["practitioner"] == "dr-patel" else "dr-patel"
    booked = services.appointment_book(
        actor=None,
        client=_amelia(),
        treatment=Treatment.objects.get(code="face-revitalise"),
        start=dt.datetime.fromisoformat(third["start"]),
        practitioner=Practitioner.objects.get(code=other),
    )
    # when
    response = api.post("/courses", _body())
    # then
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "client_busy"
    assert error["details"]["failed_session"] == 3
    assert error["details"]["appointment"] == booked.pk
    local = booked.start.astimezone(LONDON)
    assert (
        f"already has an appointment on {local:%Y-%m-%d} from {local:%H:%M}" in (error["message"])
    )
    assert "Nothing was booked." in error["message"]
    assert not Course.objects.exists()
    assert list(Appointment.objects.values_list("pk", flat=True)) == [booked.pk]


def test_a_refused_client_cannot_book_a_course(api):
    chloe = Client.objects.get(email="chloe.dawson@example.com")
    response = api.post("/courses", _body(client=chloe.pk))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "screening_refused"
    assert not Appointment.objects.exists()


def test_course_bad_input(api):
    cases = [
        (_body(treatment="nope"), 400, "unknown_treatment"),
        (_body(protocol="nope"), 400, "unknown_protocol"),
        (_body(practitioner="nope"), 400, "unknown_practitioner"),
        (_body(start_date="1 March"), 400, "invalid_input"),
        (_body(sessions=0), 400, "invalid_input"),
        (_body(client=999999), 404, "client_not_found"),
        (_body(treatment="chin-jowl-fat", sessions=7), 422, "too_many_sessions"),
        (_body(treatment="no-needle-infusion", sessions=3), 422, "too_many_sessions"),
        (_body(preferences={"weekdays": ["someday"]}), 400, "invalid_input"),
    ]
    for body, status, code in cases:
        response = api.post("/courses/plan", body)
        assert response.status_code == status, body
        assert response.json()["error"]["code"] == code, body
    assert api.get("/courses/999999").status_code == 404


def test_a_start_date_in_the_past_plans_from_today(api):
    plan = api.post("/courses/plan", _body(start_date="2026-01-01", sessions=1)).json()
    assert plan["sessions"][0]["slot"]["start"] == "2027-02-01T09:00:00+00:00"


def test_cancelling_a_course_cancels_its_sessions(api):
    course = api.post("/courses", _body(sessions=3)).json()
    response = api.post(f"/courses/{course['id']}/cancel", {"reason": "Moving away"})
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert set(Appointment.objects.values_list("status", flat=True)) == {"cancelled"}


def test_a_single_session_plan_matches_availability(demo):
    plan = planning.course_plan(
        client=_amelia(),
        treatment=Treatment.objects.get(code="no-needle-infusion"),
        start_date=dt.date(2027, 3, 1),
    )
    assert len(plan.sessions) == 1
    assert plan.sessions[0].slot is not None
    assert plan.sessions[0].slot.start == london("2027-03-01", "09:00")
