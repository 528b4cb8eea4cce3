"""Two sites (issue #16 item 5): the demo's London and Manchester, with Dr Patel in London
Monday to Friday and in Manchester on Saturdays. Availability, booking and course planning
choose the site; a practitioner is only ever offered on that site's days and never in two
places at once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from mesoclinic.catalogue.models import Treatment
from mesoclinic.people.models import Client, Practitioner, Room, Site
from mesoclinic.people.practitioner_services import working_week_set
from mesoclinic.scheduling import planning
from mesoclinic.scheduling.models import Appointment, AppointmentStatus

from .conftest import LONDON, london

MONDAY, SATURDAY = "2027-03-01", "2027-03-06"


def _weekdays(api, **params) -> set[int]:
    params = {"treatment": "face-revitalise", "from": MONDAY, "to": SATURDAY} | params
    response = api.get("/availability", **params)
    assert response.status_code == 200
    return {
        dt.datetime.fromisoformat(slot["start"]).astimezone(LONDON).weekday()
        for slot in response.json()["slots"]
    }


def _rooms(api, **params) -> set[str]:
    params = {"treatment": "face-revitalise", "from": MONDAY, "to": SATURDAY} | params
    return {slot["room"] for slot in api.get("/availability", **params).json()["slots"]}


def test_a_practitioner_at_two_sites_is_offered_only_on_each_sites_days(api):
    # then: London Monday to Friday, Manchester Saturday only
    assert _weekdays(api, practitioner="dr-patel", site="london") == {0, 1, 2, 3, 4}
    assert _weekdays(api, practitioner="dr-patel", site="manchester") == {5}
    # and across every site, both
    assert _weekdays(api, practitioner="dr-patel") == {0, 1, 2, 3, 4, 5}


def test_each_site_offers_its_own_rooms_and_people(api):
    # then
    assert _rooms(api, site="manchester")
    assert _rooms(api, site="manchester") <= {
        "mcr-room-1",
        "mcr-room-2",
    }
    assert _rooms(api, site="london") <= {"room-1", "room-2", "room-3"}
    manchester = api.get(
        "/availability", treatment="face-revitalise", **{"from": SATURDAY, "to": SATURDAY}
    ).json()["slots"]
    assert {s["practitioner"] for s in manchester if s["room"].startswith("mcr-")} == {
        "dr-patel",
        "nurse-shaw",
    }
    # Manchester opens 10:00, is shut on Mondays; nurse Shaw works only there
    assert _weekdays(api, site="manchester") == {1, 2, 3, 4, 5}
    assert _weekdays(api, practitioner="nurse-shaw", site="london") == set()


def test_booking_chooses_the_site_and_refuses_a_day_the_practitioner_is_elsewhere(api):
    amelia = Client.objects.get(email="amelia.hart@example.com")
    body = {"client": amelia.pk, "treatment": "face-revitalise", "practitioner": "dr-patel"}
    # when: Saturday in Manchester, Monday in Manchester
    saturday = api.post(
        "/appointments", body | {"start": f"{SATURDAY}T10:00:00+00:00", "site": "manchester"}
    )
    monday = api.post(
        "/appointments", body | {"start": f"{MONDAY}T10:00:00+00:00", "site": "manchester"}
    )
    tuesday = api.post(
        "/appointments", body | {"start": "2027-03-02T10:00:00+00:00", "site": "manchester"}
    )
    # then
    assert saturday.status_code == 201
    assert saturday.json()["room"].startswith("mcr-")
    assert Appointment.objects.get(pk=saturday.json()["id"]).site.code == "manchester"
    # Manchester is shut on Mondays; open on Tuesdays, when Dr Patel is in London
    assert monday.status_code == 422
    assert monday.json()["error"]["code"] == "outside_opening_hours"
    assert tuesday.status_code == 409
    assert tuesday.json()["error"]["code"] == "slot_unavailable"
    # and the refusal says why: she is not working there then, not "taken"
    error = tuesday.json()["error"]
    assert error["details"]["reason"] == "practitioner_not_working"
    assert error["message"].startswith(
        "Dr Asha Patel is not working at Mesoclinic Manchester at 10:00 on Tuesday 2 March"
    )


def test_a_taken_time_at_a_site_the_practitioner_works_is_not_called_a_day_off(api):
    amelia = Client.objects.get(email="amelia.hart@example.com")
    freya = Client.objects.get(email="freya.adeyemi@example.com")
    body = {"treatment": "face-revitalise", "practitioner": "dr-patel", "site": "manchester"}
    start = {"start": f"{SATURDAY}T10:00:00+00:00"}
    assert api.post("/appointments", body | start | {"client": amelia.pk}).status_code == 201
    # when: the same time for another client
    taken = api.post("/appointments", body | start | {"client": freya.pk})
    # then
    assert taken.status_code == 409
    assert "reason" not in taken.json()["error"]["details"]
    assert "is taken" in taken.json()["error"]["message"]


def test_hours_at_two_sites_may_not_overlap(demo):
    # when / then: Dr Patel's Manchester Saturday is 10:00-16:00
    from mesoclinic.core.errors import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        working_week_set(
            actor=None,
            practitioner=Practitioner.objects.get(code="dr-patel"),
            site=Site.objects.get(code="london"),
            week={5: (dt.time(15), dt.time(18))},
        )
    assert refused.value.code == "hours_overlap"


@pytest.fixture
def moved_to_london_saturdays(api):
    """Dr Patel was booked in Manchester on Saturday 11:00; then her Saturdays moved to
    London (the booking stays where it was)."""
    amelia = Client.objects.get(email="amelia.hart@example.com")
    booked = api.post(
        "/appointments",
        {
            "client": amelia.pk,
            "treatment": "face-revitalise",
            "practitioner": "dr-patel",
            "start": f"{SATURDAY}T11:00:00+00:00",
            "site": "manchester",
        },
    )
    assert booked.status_code == 201
    patel = Practitioner.objects.get(code="dr-patel")
    working_week_set(
        actor=None, practitioner=patel, site=Site.objects.get(code="manchester"), week={5: None}
    )
    working_week_set(
        actor=None,
        practitioner=patel,
        site=Site.objects.get(code="london"),
        week={5: (dt.time(9), dt.time(18))},
    )
    return Appointment.objects.get(pk=booked.json()["id"])


def test_a_practitioner_busy_at_one_site_is_not_offered_at_the_other(
    api, moved_to_london_saturdays
):
    # given: she is in Manchester 11:00-12:00 (arrival, numbing, treatment)
    manchester = moved_to_london_saturdays
    # when
    response = api.get(
        "/availability",
        treatment="face-revitalise",
        practitioner="dr-patel",
        site="london",
        **{"from": SATURDAY, "to": SATURDAY},
    )
    # then: London offers her Saturday, but never while she treats in Manchester (the
    # numbing phase needs no practitioner)
    slots = response.json()["slots"]
    assert slots
    for slot in slots:
        start = dt.datetime.fromisoformat(slot["treatment_start"])
        end = dt.datetime.fromisoformat(slot["end"])
        assert end <= manchester.treatment_start or start >= manchester.end
    starts = {dt.datetime.fromisoformat(slot["treatment_start"]) for slot in slots}
    assert manchester.treatment_start not in starts


def test_a_practitioner_cannot_be_double_booked_across_sites(api, moved_to_london_saturdays):
    # given
    manchester = moved_to_london_saturdays
    sophie = Client.objects.get(email="sophie.carter@example.com")
    # when: the same hour in London, through the API
    response = api.post(
        "/appointments",
        {
            "client": sophie.pk,
            "treatment": "face-revitalise",
            "practitioner": "dr-patel",
            "start": manchester.start.isoformat(),
            "site": "london",
        },
    )
    # then
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "slot_unavailable"
    # and the database itself refuses the overlap, whatever the site
    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.create(
            client=sophie,
            treatment=manchester.treatment,
            site=Site.objects.get(code="london"),
            practitioner=manchester.practitioner,
            room=Room.objects.get(code="room-1"),
            start=manchester.start,
            treatment_start=manchester.treatment_start,
            end=manchester.end,
            busy_until=manchester.end,
            status=AppointmentStatus.BOOKED,
            price=manchester.price,
            booked_at=manchester.booked_at,
        )


def test_a_course_planned_at_manchester_with_dr_patel_falls_on_saturdays(demo):
    # when
    plan = planning.course_plan(
        client=Client.objects.get(email="isla.murray@example.com"),
        treatment=Treatment.objects.get(code="face-revitalise"),
        start_date=dt.date.fromisoformat(MONDAY),
        practitioner=Practitioner.objects.get(code="dr-patel"),
        site=Site.objects.get(code="manchester"),
        sessions=4,
    )
    # then
    assert plan.feasible
    assert plan.site.code == "manchester"
    slots = [session.slot for session in plan.sessions]
    assert all(slot is not None for slot in slots)
    assert {slot.start.astimezone(LONDON).weekday() for slot in slots} == {5}
    assert {planning.slot_names(plan, slot)["room_name"] for slot in slots} <= {
        room.name for room in Room.objects.filter(site__code="manchester")
    }


def test_london_slots_are_unchanged_by_the_second_site(api):
    # London's first Monday slot is still Dr Patel at 09:00 in room 1
    first = api.get(
        "/availability",
        treatment="face-revitalise",
        site="london",
        limit=1,
        **{"from": MONDAY, "to": MONDAY},
    ).json()["slots"][0]
    assert (first["start"], first["practitioner"], first["room"]) == (
        london(MONDAY, "09:00").isoformat(),
        "dr-patel",
        "room-1",
    )


def test_the_api_plans_a_course_at_the_site_asked_for(api):
    isla = Client.objects.get(email="isla.murray@example.com")
    body = {
        "client": isla.pk,
        "treatment": "face-revitalise",
        "start_date": MONDAY,
        "practitioner": "dr-patel",
        "sessions": 4,
    }
    # when
    manchester = api.post("/courses/plan", body | {"site": "manchester"})
    london_plan = api.post("/courses/plan", body | {"site": "london"})
    unknown = api.post("/courses/plan", body | {"site": "leeds"})
    # then
    assert manchester.status_code == 200
    slots = [session["slot"] for session in manchester.json()["sessions"]]
    assert {slot["room"] for slot in slots} <= {"mcr-room-1", "mcr-room-2"}
    assert {dt.datetime.fromisoformat(s["start"]).astimezone(LONDON).weekday() for s in slots} == {
        5
    }
    london_days = {
        dt.datetime.fromisoformat(session["slot"]["start"]).astimezone(LONDON).weekday()
        for session in london_plan.json()["sessions"]
    }
    assert london_days <= {0, 1, 2, 3, 4}
    assert unknown.status_code in (400, 404)
    assert unknown.json()["error"]["code"] == "unknown_site"
