"""Booked toxin counts for the 84-day toxin interval (issue #14, item 4; domain.md §4).

The bug: MesoTox booked for 8 Dec and 2 Feb (56 days apart) were both accepted with no
``toxin_interval``, and a toxin course planned from March ignored the February booking.
"""

from __future__ import annotations

import datetime as dt

from mesoclinic.people.models import Client
from mesoclinic.scheduling.models import Appointment

from .conftest import LONDON


def _freya() -> Client:
    return Client.objects.get(email="freya.adeyemi@example.com")


def _book(api, start, client=None, **body):
    return api.post(
        "/appointments",
        {
            "client": (client or _freya()).pk,
            "treatment": "mesotox",
            "start": start,
            "practitioner": "dr-patel",
        }
        | body,
    )


def test_a_second_toxin_booking_56_days_after_the_first_is_refused(api):
    # given
    first = _book(api, "2027-03-01T10:00:00+00:00")
    assert first.status_code == 201, first.json()
    # when: 56 days later
    response = _book(api, "2027-04-26T10:00:00+01:00")
    # then
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "toxin_interval"
    assert "84 days" in error["message"]
    assert "on or after 2027-05-24" in error["message"]
    assert "toxin_interval" in [r["code"] for r in error["details"]["reasons"]]
    assert Appointment.objects.count() == 1


def test_a_toxin_booking_before_an_existing_future_one_is_refused(api):
    # given: the later one is booked first
    assert _book(api, "2027-04-26T10:00:00+01:00").status_code == 201
    # when
    response = _book(api, "2027-03-01T10:00:00+00:00")
    # then
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "toxin_interval"
    assert "on or before 2027-02-01" in response.json()["error"]["message"]


def test_far_enough_apart_both_are_booked(api):
    assert _book(api, "2027-03-01T10:00:00+00:00").status_code == 201
    assert _book(api, "2027-05-24T10:00:00+01:00").status_code == 201


def test_an_override_lets_the_second_booking_through(api):
    assert _book(api, "2027-03-01T10:00:00+00:00").status_code == 201
    override = api.post(
        f"/clients/{_freya().pk}/overrides",
        {
            "treatment": "mesotox",
            "code": "toxin_interval",
            "justification": "Touch-up agreed with the prescriber after review.",
        },
    )
    assert override.status_code == 201, override.json()
    assert _book(api, "2027-04-26T10:00:00+01:00").status_code == 201


def test_moving_a_toxin_booking_near_another_is_refused(api):
    # given
    assert _book(api, "2027-03-01T10:00:00+00:00").status_code == 201
    later = _book(api, "2027-05-24T10:00:00+01:00").json()
    # when
    response = api.post(
        f"/appointments/{later['id']}/reschedule", {"start": "2027-04-26T10:00:00+01:00"}
    )
    # then
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "toxin_interval"
    # and moving it by itself (its own booking does not count against it) is fine
    moved = api.post(
        f"/appointments/{later['id']}/reschedule", {"start": "2027-05-25T10:00:00+01:00"}
    )
    assert moved.status_code == 200, moved.json()


def test_screening_counts_a_booking_either_side(api):
    assert _book(api, "2027-04-26T10:00:00+01:00").status_code == 201
    before = api.post(
        "/screenings",
        {
            "client": _freya().pk,
            "treatment": "mesotox",
            "practitioner": "dr-patel",
            "on": "2027-03-01",
        },
    ).json()
    reason = next(r for r in before["reasons"] if r["code"] == "toxin_interval")
    assert reason["severity"] == "override"
    assert "2027-04-26" in reason["message"]
    assert "56 days after" in reason["message"]


def test_reception_is_not_shown_the_history_in_the_refusal(api_as):
    reception = api_as("reception")
    assert _book(reception, "2027-03-01T10:00:00+00:00").status_code == 201
    response = _book(reception, "2027-04-26T10:00:00+01:00")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "toxin_interval"
    assert error["details"]["reasons"] == []


def test_a_toxin_course_keeps_84_days_from_a_booking_after_its_start(api):
    # given: MesoTox booked on 1 March
    assert _book(api, "2027-03-01T10:00:00+00:00").status_code == 201
    # when: a course is planned from 2 February (27 days before it)
    plan = api.post(
        "/courses/plan",
        {"client": _freya().pk, "treatment": "mesotox", "start_date": "2027-02-02", "sessions": 2},
    ).json()
    # then: no session within 84 days of 1 March, either side
    assert plan["feasible"] is True
    booked = dt.date(2027, 3, 1)
    for session in plan["sessions"]:
        day = dt.datetime.fromisoformat(session["slot"]["start"]).astimezone(LONDON).date()
        assert abs((day - booked).days) >= 84
