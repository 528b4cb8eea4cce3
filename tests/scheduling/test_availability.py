"""Availability: opening and working hours, bank holidays, absences, qualification, lounge."""

from __future__ import annotations

import datetime as dt
import inspect

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mesoclinic.api.scheduling.schemas import AvailabilityOut
from mesoclinic.catalogue.models import Treatment
from mesoclinic.people.models import Absence, ClosedDay, Practitioner, Site
from mesoclinic.scheduling import selectors, services

from .conftest import LONDON, london

MONDAY = "2027-03-01"


def _get(api, **params):
    params = {"treatment": "face-revitalise", "from": MONDAY, "to": MONDAY} | params
    return api.get("/availability", **params)


def test_slots_are_sorted_with_offsets_and_the_three_times(api):
    # when
    response = _get(api, limit=3)
    # then
    assert response.status_code == 200
    assert response.json()["slots"] == [
        {
            "start": "2027-03-01T09:00:00+00:00",
            "treatment_start": "2027-03-01T09:30:00+00:00",
            "end": "2027-03-01T10:00:00+00:00",
            "practitioner": "dr-patel",
            "room": "room-1",
            "device": None,
        },
        {
            "start": "2027-03-01T09:00:00+00:00",
            "treatment_start": "2027-03-01T09:30:00+00:00",
            "end": "2027-03-01T10:00:00+00:00",
            "practitioner": "nurse-lewis",
            "room": "room-1",
            "device": None,
        },
        {
            "start": "2027-03-01T09:15:00+00:00",
            "treatment_start": "2027-03-01T09:45:00+00:00",
            "end": "2027-03-01T10:15:00+00:00",
            "practitioner": "dr-patel",
            "room": "room-1",
            "device": None,
        },
    ]


def test_the_written_answer_has_exactly_the_declared_response_schema(api):
    # given a device treatment (device codes) over two days
    response = _get(api, treatment="no-needle-infusion", to="2027-03-02")
    # when the answer is read back through the endpoint's declared schema
    answer = response.json()
    declared = AvailabilityOut.model_validate(answer).model_dump()
    # then it is that schema's shape, field for field
    assert response["Content-Type"] == "application/json"
    assert len(answer["slots"]) > 50
    assert declared == answer


@pytest.mark.parametrize("limit", [None, 7])
def test_the_written_answer_lists_the_selectors_slots_in_order(api, limit):
    # given: a device treatment over the March clock change (two UTC offsets)
    window = {"from": "2027-03-26", "to": "2027-03-30"}
    extra = {"limit": limit} if limit else {}
    # when
    answer = _get(api, treatment="no-needle-infusion", **window, **extra).json()["slots"]
    # then: exactly the selector's slots, times in the site's local offset
    expected = selectors.availability_for(
        treatment=Treatment.objects.get(code="no-needle-infusion"),
        date_from=dt.date(2027, 3, 26),
        date_to=dt.date(2027, 3, 30),
        limit=limit,
    )
    assert answer == [
        {
            "start": slot.start.isoformat(),
            "treatment_start": slot.treatment_start.isoformat(),
            "end": slot.end.isoformat(),
            "practitioner": slot.practitioner,
            "room": slot.room,
            "device": slot.device,
        }
        for slot in expected
    ]
    assert {slot["start"][-6:] for slot in answer} == (
        {"+00:00"} if limit else {"+00:00", "+01:00"}
    )


def test_a_day_has_every_quarter_hour_that_fits_before_closing(api):
    # when
    slots = _get(api, practitioner="dr-patel").json()["slots"]
    # then: 09:00 … 17:00 (arrival), the treatment ending by 18:00
    assert len(slots) == 33
    assert slots[-1]["start"] == "2027-03-01T17:00:00+00:00"
    assert slots[-1]["end"] == "2027-03-01T18:00:00+00:00"


def test_summer_slots_carry_the_british_summer_time_offset(api):
    response = _get(api, **{"from": "2027-06-01", "to": "2027-06-01"}, limit=1)
    assert response.json()["slots"][0]["start"] == "2027-06-01T09:00:00+01:00"


def test_only_qualified_practitioners_are_offered_for_injectables(api):
    # when: a week of face treatments
    slots = _get(api, to="2027-03-06").json()["slots"]
    # then: nurse-hughes (expired registration) and therapist-ng never appear; nurse-shaw
    # works in Manchester
    assert {slot["practitioner"] for slot in slots} == {
        "dr-patel",
        "nurse-lewis",
        "nurse-okafor",
        "nurse-shaw",
    }


def test_a_therapist_is_offered_for_no_needle_treatments(api):
    slots = _get(api, treatment="no-needle-infusion", to="2027-03-06").json()["slots"]
    assert "therapist-ng" in {slot["practitioner"] for slot in slots}
    assert "nurse-hughes" in {slot["practitioner"] for slot in slots}
    assert {slot["device"] for slot in slots} == {"electroporation-wand"}


def test_asking_for_an_unqualified_practitioner_gives_no_slots(api):
    assert _get(api, practitioner="nurse-hughes").json() == {"slots": []}
    assert _get(api, practitioner="therapist-ng").json() == {"slots": []}


def test_a_registration_expiring_inside_the_window_ends_availability_that_day(demo):
    # given
    Practitioner.objects.filter(code="nurse-lewis").update(
        registration_expires_on=dt.date(2027, 3, 2)
    )
    treatment = Treatment.objects.get(code="face-revitalise")
    # when
    slots = selectors.availability_for(
        treatment=treatment,
        date_from=dt.date(2027, 3, 1),
        date_to=dt.date(2027, 3, 5),
        practitioner=Practitioner.objects.get(code="nurse-lewis"),
    )
    # then
    assert {slot.start.date() for slot in slots} == {dt.date(2027, 3, 1), dt.date(2027, 3, 2)}


def test_a_credential_changed_between_two_same_searches_changes_the_second(demo):
    # given: the same search asked before and after nurse-lewis's registration lapses
    treatment = Treatment.objects.get(code="face-revitalise")

    def days_offered() -> set[dt.date]:
        slots = selectors.availability_for(
            treatment=treatment,
            date_from=dt.date(2027, 3, 1),
            date_to=dt.date(2027, 3, 5),
            practitioner=Practitioner.objects.get(code="nurse-lewis"),
        )
        return {slot.start.date() for slot in slots}

    before = days_offered()
    # when
    Practitioner.objects.filter(code="nurse-lewis").update(
        registration_expires_on=dt.date(2027, 3, 2)
    )
    # then: the remembered qualification is not reused for changed credentials
    assert len(before) == 5
    assert days_offered() == {dt.date(2027, 3, 1), dt.date(2027, 3, 2)}


def test_bank_holidays_and_sundays_are_closed(api):
    # Easter 2027: Good Friday 26 March, Easter Monday 29 March (England and Wales)
    slots = _get(api, **{"from": "2027-03-26", "to": "2027-03-29"}).json()["slots"]
    days = {slot["start"][:10] for slot in slots}
    assert days == {"2027-03-27"}  # Saturday only: Friday and Monday are bank holidays


def test_a_closed_day_is_not_offered(api):
    ClosedDay.objects.create(site=Site.objects.get(code="london"), date=dt.date(2027, 3, 1))
    assert _get(api).json() == {"slots": []}


def test_an_absence_removes_the_practitioner_for_its_hours_only(api):
    # given: dr-patel away 09:00–13:00
    Absence.objects.create(
        practitioner=Practitioner.objects.get(code="dr-patel"),
        starts_at=london(MONDAY, "09:00"),
        ends_at=london(MONDAY, "13:00"),
    )
    # when
    slots = _get(api, practitioner="dr-patel").json()["slots"]
    # then: the first treatment can start at 13:00, so arrival at 12:30
    assert slots[0]["start"] == "2027-03-01T12:30:00+00:00"
    assert slots[0]["treatment_start"] == "2027-03-01T13:00:00+00:00"


def test_past_slots_are_never_offered(api, monkeypatch):
    monkeypatch.setattr("mesoclinic.core.clock.now", lambda: london(MONDAY, "12:07"))
    slots = _get(api, practitioner="dr-patel").json()["slots"]
    assert slots[0]["start"] == "2027-03-01T12:15:00+00:00"


def test_a_booking_blocks_its_practitioner_and_room(api, client_named, demo):
    # given
    services.appointment_book(
        actor=None,
        client=client_named("Amelia", "Hart"),
        treatment=Treatment.objects.get(code="face-revitalise"),
        start=london(MONDAY, "09:00"),
        practitioner=Practitioner.objects.get(code="dr-patel"),
    )
    # when
    slots = _get(api, limit=4).json()["slots"]
    # then: dr-patel treats 09:30–10:00, so his next start is 09:30 (treatment 10:00)
    assert [(s["start"][11:16], s["practitioner"], s["room"]) for s in slots] == [
        ("09:00", "nurse-lewis", "room-2"),
        ("09:15", "nurse-lewis", "room-2"),
        ("09:30", "dr-patel", "room-1"),
        ("09:30", "nurse-lewis", "room-1"),
    ]


def test_the_numbing_lounge_capacity_is_respected(api, client_named, demo):
    # given: a lounge with one place, taken 09:00–09:30
    Site.objects.filter(code="london").update(numbing_lounge_capacity=1)
    services.appointment_book(
        actor=None,
        client=client_named("Amelia", "Hart"),
        treatment=Treatment.objects.get(code="face-revitalise"),
        start=london(MONDAY, "09:00"),
        practitioner=Practitioner.objects.get(code="dr-patel"),
    )
    # when
    starts = {s["start"][11:16] for s in _get(api, practitioner="nurse-lewis").json()["slots"]}
    # then: nobody else can sit with numbing cream before 09:30
    assert "09:00" not in starts
    assert "09:15" not in starts
    assert "09:30" in starts
    # and treatments without numbing are not held back by the lounge
    scalp = _get(api, treatment="scalp-hair", practitioner="nurse-lewis").json()["slots"]
    assert scalp[0]["start"] == "2027-03-01T09:00:00+00:00"


def test_devices_are_booked_with_the_treatment(api, client_named, demo):
    # given: the only DermaFrac is in use 09:30–10:00
    services.appointment_book(
        actor=None,
        client=client_named("Amelia", "Hart"),
        treatment=Treatment.objects.get(code="acne-scars"),
        start=london(MONDAY, "09:00"),
    )
    # when
    slots = _get(api, treatment="acne-scars", limit=2).json()["slots"]
    # then
    assert [(s["start"][11:16], s["device"]) for s in slots] == [
        ("09:30", "dermafrac"),
        ("09:30", "dermafrac"),
    ]


@pytest.mark.parametrize("site", ["london", None])
def test_availability_loads_busy_time_with_one_query_per_site(demo, site):
    treatment = Treatment.objects.get(code="face-revitalise")
    chosen = Site.objects.get(code=site) if site else None
    with CaptureQueriesContext(connection) as queries:
        selectors.availability_for(
            treatment=treatment,
            date_from=dt.date(2027, 3, 1),
            date_to=dt.date(2027, 4, 30),
            site=chosen,
        )
    appointment_queries = [
        query["sql"] for query in queries if 'FROM "scheduling_appointment"' in query["sql"]
    ]
    assert len(appointment_queries) == len(selectors.bookable_sites(site=chosen))


def test_to_before_from_is_a_400(api):
    response = _get(api, **{"from": "2027-03-05", "to": "2027-03-01"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_range"


def test_malformed_dates_are_a_400(api):
    response = _get(api, **{"from": "05/03/2027"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_input"
    assert response.json()["error"]["details"]["field"] == "from"


def test_missing_dates_are_a_400(api):
    response = api.get("/availability", treatment="face-revitalise")
    assert response.status_code == 400


def test_unknown_codes_are_a_400(api):
    assert _get(api, treatment="botox-party").json()["error"]["code"] == "unknown_treatment"
    assert _get(api, practitioner="dr-who").json()["error"]["code"] == "unknown_practitioner"
    assert _get(api, site="paris").json()["error"]["code"] == "unknown_site"
    assert _get(api, limit=0).status_code == 400


def test_availability_needs_a_staff_login(demo):
    from django.test import Client as HttpClient

    response = HttpClient().get("/api/v1/availability", {"treatment": "face-revitalise"})
    assert response.status_code == 401


def test_search_ends_at_local_midnight(demo):
    # a one-day search never returns the next day's slots, whatever the offset
    treatment = Treatment.objects.get(code="face-revitalise")
    slots = selectors.availability_for(
        treatment=treatment, date_from=dt.date(2027, 6, 1), date_to=dt.date(2027, 6, 1)
    )
    assert {slot.start.astimezone(LONDON).date() for slot in slots} == {dt.date(2027, 6, 1)}


def test_the_database_computes_the_same_epoch_minutes_as_python(demo, client_named):
    # given: bookings either side of the March DST change
    treatment = Treatment.objects.get(code="face-revitalise")
    for day in ("2027-03-26", "2027-03-30"):
        services.appointment_book(
            actor=None,
            client=client_named("Amelia", "Hart"),
            treatment=treatment,
            start=london(day, "16:45") if day == "2027-03-30" else london("2027-03-25", "16:45"),
        )
    # when
    from mesoclinic.scheduling import busy
    from mesoclinic.scheduling.models import Appointment

    rows = busy._fetch(Appointment.objects.order_by("start"))
    # then
    expected = [
        (
            busy.minutes_of(a.start),
            busy.minutes_of(a.treatment_start),
            busy.minutes_of(a.busy_until),
        )
        for a in Appointment.objects.order_by("start")
    ]
    assert len(expected) == 2
    assert (
        list(
            zip(
                rows.starts.tolist(),
                rows.treatment_starts.tolist(),
                rows.busy_untils.tolist(),
                strict=True,
            )
        )
        == expected
    )


def test_a_limited_search_returns_the_first_slots_of_the_whole_window(demo, client_named):
    # given: the first week fully booked for dr-patel's first hours does not matter; any
    # limit must give exactly the first slots of an unlimited search
    treatment = Treatment.objects.get(code="face-revitalise")
    window = {"date_from": dt.date(2027, 3, 1), "date_to": dt.date(2027, 4, 30)}
    everything = selectors.availability_for(treatment=treatment, **window)
    for limit in (1, 50, 700, 5000):
        assert (
            selectors.availability_for(treatment=treatment, limit=limit, **window)
            == (everything[:limit])
        )


def test_a_first_page_reads_one_week_of_bookings(demo):
    treatment = Treatment.objects.get(code="face-revitalise")
    with CaptureQueriesContext(connection) as queries:
        selectors.availability_for(
            treatment=treatment,
            date_from=dt.date(2027, 3, 1),
            date_to=dt.date(2027, 6, 30),
            limit=20,
        )
    reads = [q["sql"] for q in queries if 'FROM "scheduling_appointment"' in q["sql"]]
    assert len(reads) == 2  # one per site: London and Manchester
    for busy in reads:
        assert "2027-03-08" in busy or "2027-03-07" in busy  # the week's end bounds the read


def test_an_availability_question_has_exactly_the_searchs_keywords():
    # availability_for forwards its keywords to availability_tables: one list, kept equal
    parameters = inspect.signature(selectors.availability_tables).parameters
    assert set(selectors.AvailabilityQuestion.__annotations__) == set(parameters)
    assert selectors.AvailabilityQuestion.__required_keys__ == {
        name
        for name, parameter in parameters.items()
        if parameter.default is inspect.Parameter.empty
    }
