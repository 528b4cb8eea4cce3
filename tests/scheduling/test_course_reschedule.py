"""A rescheduled course session stays a course session (issue #14, item 3).

The bug: session 3 (window 21–23 Dec) moved to 10 Feb was accepted (200), landing after
sessions 4–6, and its practitioner changed from Lewis to Okafor without being asked.
"""

from __future__ import annotations

import datetime as dt

from mesoclinic.people.models import Client
from mesoclinic.scheduling.models import Appointment
from mesoclinic.scheduling.planning import course_session_window

from .conftest import LONDON


def _amelia() -> Client:
    return Client.objects.get(email="amelia.hart@example.com")


def _course(api, **fields):
    body = {
        "client": _amelia().pk,
        "treatment": "face-revitalise",
        "start_date": "2027-03-01",
        "practitioner": "nurse-lewis",
    } | fields
    response = api.post("/courses", body)
    assert response.status_code == 201, response.json()
    return response.json()


def _session(course, number):
    return next(s for s in course["sessions"] if s["number"] == number)


def _local_day(iso: str) -> dt.date:
    return dt.datetime.fromisoformat(iso).astimezone(LONDON).date()


def test_a_session_moved_outside_its_window_is_refused_with_the_window_in_words(api):
    # given: a ten-session course with nurse-lewis
    course = _course(api)
    third = _session(course, 3)
    appointment = Appointment.objects.get(pk=int(third["appointment"]))
    before = (appointment.start, appointment.practitioner_id)
    # when: session 3 is moved weeks later, after sessions 4-6
    response = api.post(
        f"/appointments/{third['appointment']}/reschedule",
        {"start": "2027-05-11T10:00:00+01:00"},
    )
    # then
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "outside_course_window"
    earliest = dt.date.fromisoformat(error["details"]["earliest"])
    latest = dt.date.fromisoformat(error["details"]["latest"])
    assert error["message"].startswith(
        f"Session 3 must be between {earliest:%a} {earliest.day} {earliest:%b} and "
        f"{latest:%a} {latest.day} {latest:%b}"
    )
    second = _local_day(_session(course, 2)["slot"]["start"])
    fourth = _local_day(_session(course, 4)["slot"]["start"])
    assert second < earliest <= latest < fourth
    appointment.refresh_from_db()
    assert (appointment.start, appointment.practitioner_id) == before


def test_a_session_moved_before_its_previous_one_is_refused(api):
    course = _course(api)
    third = _session(course, 3)
    first_day = _local_day(_session(course, 1)["slot"]["start"])
    response = api.post(
        f"/appointments/{third['appointment']}/reschedule",
        {"start": f"{first_day + dt.timedelta(days=1)}T10:00:00+00:00"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "outside_course_window"


def test_an_in_window_move_keeps_the_practitioner(api):
    # given
    course = _course(api)
    third = _session(course, 3)
    day = _local_day(third["slot"]["start"])
    # when: a later time the same day
    response = api.post(
        f"/appointments/{third['appointment']}/reschedule", {"start": f"{day}T15:00:00+00:00"}
    )
    # then
    assert response.status_code == 200, response.json()
    assert response.json()["practitioner"] == "nurse-lewis"
    assert response.json()["start"] == f"{day}T15:00:00+00:00"


def test_the_practitioner_is_not_swapped_when_busy_at_the_new_time(api):
    # given: nurse-lewis is busy at 15:00 with another client (others are free)
    course = _course(api)
    third = _session(course, 3)
    day = _local_day(third["slot"]["start"])
    freya = Client.objects.get(email="freya.adeyemi@example.com")
    taken = api.post(
        "/appointments",
        {
            "client": freya.pk,
            "treatment": "face-revitalise",
            "start": f"{day}T15:00:00+00:00",
            "practitioner": "nurse-lewis",
        },
    )
    assert taken.status_code == 201
    # when
    response = api.post(
        f"/appointments/{third['appointment']}/reschedule", {"start": f"{day}T15:00:00+00:00"}
    )
    # then: refused, naming her, rather than moved to another practitioner
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "slot_unavailable"
    assert "Lewis" in error["message"]
    assert Appointment.objects.get(pk=int(third["appointment"])).practitioner.code == "nurse-lewis"


def test_another_practitioner_is_taken_when_the_request_names_them(api):
    course = _course(api)
    third = _session(course, 3)
    day = _local_day(third["slot"]["start"])
    response = api.post(
        f"/appointments/{third['appointment']}/reschedule",
        {"start": f"{day}T15:00:00+00:00", "practitioner": "dr-patel"},
    )
    assert response.status_code == 200, response.json()
    assert response.json()["practitioner"] == "dr-patel"


def _in_windows(api, course_id):
    detail = api.get(f"/courses/{course_id}").json()
    for session in detail["sessions"]:
        if session["status"] != "booked":
            continue
        day = _local_day(session["slot"]["start"]).isoformat()
        assert session["earliest"] <= day <= session["latest"], session
    return detail


def test_moving_a_session_offers_to_replan_the_later_ones(api):
    # given: session 3 moved to the last day of its window
    course = _course(api)
    third = _session(course, 3)
    appointment = Appointment.objects.get(pk=int(third["appointment"]))
    window = course_session_window(appointment)
    assert window is not None
    assert window.latest is not None
    moved = api.post(
        f"/appointments/{third['appointment']}/reschedule",
        {"start": f"{window.latest}T15:00:00+00:00"},
    )
    assert moved.status_code == 200, moved.json()
    # then: the answer offers the re-plan
    assert moved.json()["course_replan"] == f"/api/v1/courses/{course['id']}/replan"
    # when: previewed, then applied
    path = f"/courses/{course['id']}/replan"
    preview = api.post(path, {"after_session": 3}).json()
    assert preview["feasible"] is True
    assert [m["number"] for m in preview["moves"]] == list(range(4, 11))
    assert all(m["proposed"]["practitioner"] == "nurse-lewis" for m in preview["moves"])
    applied = api.post(path, {"after_session": 3, "apply": True})
    # then: every session sits in its window, counted from the actual session before
    assert applied.status_code == 200, applied.json()
    assert applied.json()["applied"] is True
    detail = _in_windows(api, course["id"])
    starts = {s["number"]: s["slot"]["start"] for s in detail["sessions"]}
    planned = {m["number"]: m["proposed"]["start"] for m in preview["moves"]}
    assert all(starts[number] == start for number, start in planned.items())


def test_cancelling_a_session_offers_to_replan_from_the_one_before(api):
    course = _course(api)
    third = _session(course, 3)
    cancelled = api.post(f"/appointments/{third['appointment']}/cancel", {"reason": "ill"})
    assert cancelled.status_code == 200
    assert cancelled.json()["course_replan"].endswith("/replan")
    applied = api.post(f"/courses/{course['id']}/replan", {"after_session": 3, "apply": True})
    assert applied.status_code == 200, applied.json()
    assert applied.json()["feasible"] is True
