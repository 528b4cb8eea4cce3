"""Opening an appointment or a course page is an audited clinical read."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.test import Client as HttpClient
from tests.web.scheduling.support import MONDAY, TUESDAY, london

from mesoclinic.catalogue.models import Treatment
from mesoclinic.core.models import AuditEntry
from mesoclinic.people.models import Client, Practitioner
from mesoclinic.scheduling import services
from mesoclinic.scheduling.models import Appointment, Course


def _book(client: Client) -> Appointment:
    return services.appointment_book(
        actor=None,
        client=client,
        treatment=Treatment.objects.get(code="face-revitalise"),
        start=london(MONDAY, "10:00"),
        practitioner=Practitioner.objects.get(code="dr-patel"),
    )


def test_the_appointment_page_writes_a_read_entry(amelia):
    # given
    appointment = _book(amelia)
    browser = HttpClient(REMOTE_ADDR="192.0.2.61")
    assert browser.login(username="reception", password="mesoclinic-demo")
    # when
    response = browser.get(f"/appointments/{appointment.pk}/")
    # then
    assert response.status_code == 200
    entry = AuditEntry.objects.latest("id")
    assert (entry.action, entry.object_type, entry.object_id, entry.client_id) == (
        "appointment.view",
        "appointment",
        str(appointment.pk),
        amelia.pk,
    )
    assert (entry.actor_label, entry.role, entry.ip) == ("reception", "reception", "192.0.2.61")


def test_an_unknown_appointment_writes_no_read_entry(browser):
    before = AuditEntry.objects.count()
    assert browser.get("/appointments/999999/").status_code == 404
    assert AuditEntry.objects.count() == before


def test_the_course_page_writes_a_read_entry(browser, amelia):
    # given
    plan = {"treatment": "face-revitalise", "start_date": TUESDAY, "practitioner": "dr-patel"}
    browser.post(f"/clients/{amelia.pk}/courses/plan/", plan)
    course = Course.objects.get(client=amelia)
    # when
    assert browser.get(f"/courses/{course.pk}/").status_code == 200
    # then
    entry = AuditEntry.objects.latest("id")
    assert (entry.action, entry.object_id, entry.client_id, entry.role) == (
        "course.view",
        str(course.pk),
        amelia.pk,
        "reception",
    )


def test_the_appointment_in_django_admin_writes_a_read_entry(amelia):
    # given
    appointment = _book(amelia)
    browser = HttpClient()
    browser.force_login(get_user_model().objects.create_superuser("root", password="x" * 16))
    # when
    response = browser.get(f"/admin/scheduling/appointment/{appointment.pk}/change/")
    # then
    assert response.status_code == 200
    entry = AuditEntry.objects.latest("id")
    assert (entry.action, entry.object_type, entry.client_id) == (
        "admin.view",
        "appointment",
        amelia.pk,
    )
