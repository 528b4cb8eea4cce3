"""Course planning and booking from the client page; absences with the re-plan."""

from __future__ import annotations

import datetime as dt

from tests.web.scheduling.support import TUESDAY, london

from mesoclinic.catalogue.models import Treatment
from mesoclinic.people.models import Absence, Practitioner
from mesoclinic.scheduling import services
from mesoclinic.scheduling.models import Appointment, Course
from mesoclinic.scheduling.planning import course_session_window

PLAN = {"treatment": "face-revitalise", "start_date": "2027-02-02", "practitioner": "dr-patel"}


def test_the_client_page_shows_appointments_courses_and_links(browser, amelia):
    appointment = services.appointment_book(
        actor=None,
        client=amelia,
        treatment=Treatment.objects.get(code="face-revitalise"),
        start=london(TUESDAY, "10:00"),
        practitioner=Practitioner.objects.get(code="dr-patel"),
    )
    html = browser.get(f"/clients/{amelia.pk}/").content.decode()
    assert "Appointments and courses" in html
    assert f"/appointments/{appointment.pk}/" in html
    assert "Tue 2 Feb 2027 10:00" in html
    assert f"/clients/{amelia.pk}/courses/plan/" in html
    assert f"/calendar/book/?client={amelia.pk}" in html


def test_planning_shows_the_dates_and_price_before_booking(browser, amelia):
    # when
    response = browser.get(f"/clients/{amelia.pk}/courses/plan/", PLAN)
    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert "10 sessions" in html
    assert "Every session fits." in html
    assert "£2550.00" in html  # the package price, as on the public page
    assert "Tue 2 Feb 2027 09:00" in html
    assert "Confirm and book 10 sessions" in html
    assert not Course.objects.exists()


def test_confirming_books_every_session_at_once(browser, amelia):
    # when
    response = browser.post(f"/clients/{amelia.pk}/courses/plan/", PLAN)
    # then
    course = Course.objects.get(client=amelia)
    assert response.status_code == 302
    assert response["Location"] == f"/courses/{course.pk}/"
    assert course.appointments.count() == 10
    assert set(course.appointments.values_list("practitioner__code", flat=True)) == {"dr-patel"}
    page = browser.get(response["Location"]).content.decode()
    assert "Course booked: 10 sessions of Face revitalise" in page


def test_an_impossible_course_books_nothing_and_says_so(browser, amelia, monkeypatch):
    # given dr-patel is away for the whole course
    Absence.objects.create(
        practitioner=Practitioner.objects.get(code="dr-patel"),
        starts_at=london("2027-02-01", "00:00"),
        ends_at=london("2028-01-01", "00:00"),
    )
    # when
    preview = browser.get(f"/clients/{amelia.pk}/courses/plan/", PLAN).content.decode()
    response = browser.post(f"/clients/{amelia.pk}/courses/plan/", PLAN)
    # then
    assert "cannot be placed" in preview
    assert "Confirm and book" not in preview
    assert response.status_code == 409
    assert "Nothing was booked." in response.content.decode()
    assert not Appointment.objects.filter(client=amelia).exists()


def test_a_bad_plan_form_is_a_400(browser, amelia):
    response = browser.get(
        f"/clients/{amelia.pk}/courses/plan/", {"treatment": "nope", "start_date": "x"}
    )
    assert response.status_code == 400
    assert "errorlist" in response.content.decode()


def test_an_absence_over_a_booking_previews_then_applies_the_replan(browser, manager, amelia):
    # given
    appointment = services.appointment_book(
        actor=None,
        client=amelia,
        treatment=Treatment.objects.get(code="face-revitalise"),
        start=london(TUESDAY, "10:00"),
        practitioner=Practitioner.objects.get(code="dr-patel"),
    )
    # when reception tries, then the manager enters the absence
    refused = browser.post(
        "/practitioners/dr-patel/absences/new/",
        {"starts_at": f"{TUESDAY}T09:00", "ends_at": f"{TUESDAY}T18:00", "reason": "Sick"},
    )
    response = manager.post(
        "/practitioners/dr-patel/absences/new/",
        {"starts_at": f"{TUESDAY}T09:00", "ends_at": f"{TUESDAY}T18:00", "reason": "Sick"},
    )
    absence = Absence.objects.get(practitioner__code="dr-patel")
    # then the preview lists the appointment and a proposed move
    assert response.status_code == 302
    assert response["Location"] == f"/absences/{absence.pk}/replan/"
    assert refused.status_code == 403
    preview = manager.get(response["Location"]).content.decode()
    assert "Proposed moves (1)" in preview
    assert "Amelia Hart" in preview
    assert "Apply the re-plan" in preview
    appointment.refresh_from_db()
    assert appointment.practitioner.code == "dr-patel"
    # when applied
    applied = manager.post(response["Location"]).content.decode()
    appointment.refresh_from_db()
    assert "Moved (1)" in applied
    assert appointment.practitioner.code != "dr-patel"


def test_an_absence_ending_before_it_starts_is_refused(manager):
    response = manager.post(
        "/practitioners/dr-patel/absences/new/",
        {"starts_at": f"{TUESDAY}T18:00", "ends_at": f"{TUESDAY}T09:00"},
    )
    assert response.status_code == 400
    assert "The absence must end after it starts." in response.content.decode()
    assert not Absence.objects.exists()


def test_moving_a_course_session_offers_to_replan_the_later_ones(browser, amelia):
    # given: a booked course
    course, _ = services.course_book(
        actor=None,
        client=amelia,
        treatment=Treatment.objects.get(code="face-revitalise"),
        start_date=dt.date(2027, 2, 2),
        practitioner=Practitioner.objects.get(code="dr-patel"),
    )
    third = Appointment.objects.get(course=course, session_number=3)
    window = course_session_window(third)
    assert window is not None
    assert window.latest is not None
    # when: moved to the last day of its window in the staff UI
    response = browser.post(
        f"/appointments/{third.pk}/reschedule/", {"start": f"{window.latest} 15:00"}
    )
    # then: the course page offers to re-plan the later sessions
    assert response.status_code == 302
    assert response["Location"] == f"/courses/{course.pk}/?after=3"
    page = browser.get(response["Location"]).content.decode()
    assert "Re-plan later sessions" in page
    preview = browser.get(f"/courses/{course.pk}/replan/", {"after": 3}).content.decode()
    assert "Move these 7 sessions" in preview
    applied = browser.post(f"/courses/{course.pk}/replan/", {"after": 3})
    assert applied.status_code == 302
    fourth = Appointment.objects.get(course=course, session_number=4)
    gap = (fourth.start.date() - Appointment.objects.get(pk=third.pk).start.date()).days
    assert 6 <= gap <= 8


def test_moving_a_course_session_out_of_its_window_is_refused_in_the_page(browser, amelia):
    course, _ = services.course_book(
        actor=None,
        client=amelia,
        treatment=Treatment.objects.get(code="face-revitalise"),
        start_date=dt.date(2027, 2, 2),
        practitioner=Practitioner.objects.get(code="dr-patel"),
    )
    third = Appointment.objects.get(course=course, session_number=3)
    response = browser.post(f"/appointments/{third.pk}/reschedule/", {"start": "2027-05-11 10:00"})
    assert response.status_code == 422
    assert "Session 3 must be between" in response.content.decode()
