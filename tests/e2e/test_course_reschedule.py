"""Rescheduling a course session in a browser: outside its window it is refused with the
window in words; inside it, it moves, keeps its practitioner, and the course page offers
to re-plan the later sessions (issue #14, item 3)."""

from __future__ import annotations

import datetime as dt

import pytest

from mesoclinic.catalogue.models import Treatment
from mesoclinic.core import clock
from mesoclinic.people.models import Client, Practitioner
from mesoclinic.scheduling import selectors, services
from mesoclinic.scheduling.models import Appointment
from mesoclinic.scheduling.planning import course_session_window

pytestmark = pytest.mark.e2e


def test_a_course_session_moves_only_inside_its_window(login, live_url):
    # given: a ten-session course with nurse Lewis, starting in a week
    lewis = Practitioner.objects.get(code="nurse-lewis")
    course, _ = services.course_book(
        actor=None,
        client=Client.objects.get(email="amelia.hart@example.com"),
        treatment=Treatment.objects.get(code="face-revitalise"),
        start_date=clock.today() + dt.timedelta(days=7),
        practitioner=lewis,
    )
    third = Appointment.objects.get(course=course, session_number=3)
    window = course_session_window(third)
    assert window is not None
    assert window.earliest is not None
    assert window.latest is not None
    site = third.site
    free = [
        slot
        for slot in selectors.availability_for(
            treatment=third.treatment,
            date_from=window.earliest,
            date_to=window.latest,
            site=site,
            practitioner=lewis,
        )
        if slot.start != third.start
    ]
    assert free, "no free time for nurse Lewis inside the window"
    target = free[-1].start.astimezone(site.tzinfo)
    outside = (third.start + dt.timedelta(days=60)).astimezone(site.tzinfo)
    page = login("reception")

    # when: moved two months later
    page.goto(live_url(f"/appointments/{third.pk}/reschedule/"))
    page.fill("#id_start", outside.strftime("%Y-%m-%dT%H:%M"))
    page.click("button:has-text('Move appointment')")

    # then: refused, with the window in words, and nothing moved
    alert = page.locator("[role=alert]").first.inner_text()
    assert "Session 3 must be between" in alert
    assert f"{window.earliest:%a} {window.earliest.day} {window.earliest:%b}" in alert
    assert Appointment.objects.get(pk=third.pk).start == third.start

    # when: moved inside its window
    page.fill("#id_start", target.strftime("%Y-%m-%dT%H:%M"))
    page.click("button:has-text('Move appointment')")

    # then: moved, with nurse Lewis still, and the later sessions offered a re-plan
    page.wait_for_url(live_url(f"/courses/{course.pk}/?after=3"))
    moved = Appointment.objects.get(pk=third.pk)
    assert moved.start == free[-1].start
    assert moved.practitioner.code == "nurse-lewis"
    assert "Moved to" in page.locator(".messages").inner_text()
    page.click("text=Re-plan later sessions")
    page.wait_for_url(live_url(f"/courses/{course.pk}/replan/?after=3"))
    assert page.locator("text=Move these 7 sessions").count() == 1
