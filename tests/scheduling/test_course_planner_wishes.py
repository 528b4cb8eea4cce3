"""The course planner takes a time of day and a preferred practitioner, shows names and
says what stands before treatment (issue #14, item 3): before, every session was at 09:00,
``nurse-okafor`` and ``room-1`` were shown as codes, and missing consent went unsaid."""

from __future__ import annotations

import datetime as dt

import pytest

from mesoclinic.people.models import Client

from .conftest import LONDON


def _amelia() -> Client:
    return Client.objects.get(email="amelia.hart@example.com")


def _plan(api, **fields):
    body = {"client": _amelia().pk, "treatment": "face-revitalise", "start_date": "2027-03-01"}
    return api.post("/courses/plan", body | fields)


def _times(plan):
    return [
        dt.datetime.fromisoformat(s["slot"]["start"]).astimezone(LONDON).time()
        for s in plan["sessions"]
    ]


def test_an_afternoon_course_is_planned_in_the_afternoon(api):
    plan = _plan(api, time_of_day="afternoon").json()
    assert plan["feasible"] is True
    assert all(dt.time(12, 0) <= time <= dt.time(16, 30) for time in _times(plan))


def test_a_fixed_time_is_kept(api):
    plan = _plan(api, preferences={"time_of_day": "14:30"}).json()
    assert set(_times(plan)) == {dt.time(14, 30)}


@pytest.mark.parametrize("value", ["noon", "25:00", "14:30:00", "2pm"])
def test_a_bad_time_of_day_is_a_400(api, value):
    response = _plan(api, time_of_day=value)
    assert response.status_code == 400
    assert response.json()["error"]["details"]["field"] == "time_of_day"


def test_a_preferred_practitioner_is_preferred(api):
    plan = _plan(api, preferred_practitioner="nurse-lewis").json()
    assert {s["slot"]["practitioner"] for s in plan["sessions"]} == {"nurse-lewis"}


def test_the_plan_names_practitioner_and_room(api):
    slot = _plan(api, preferred_practitioner="nurse-lewis").json()["sessions"][0]["slot"]
    assert "Lewis" in slot["practitioner_name"]
    assert slot["room_name"].startswith("Room ")


def test_the_plan_warns_of_missing_consent(api, api_as):
    # given: Amelia has signed no consent for pigmentation
    body = {"treatment": "pigmentation"}
    # when
    clinical = _plan(api, **body).json()
    front_desk = _plan(api_as("reception"), **body).json()
    # then
    assert "consent_missing" in [w["code"] for w in clinical["warnings"]]
    assert front_desk["warnings"]
    assert all(w["code"].startswith("screening_") for w in front_desk["warnings"])
