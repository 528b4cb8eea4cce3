"""Quick booking from a free slot, the appointment page, cancel and reschedule."""

from __future__ import annotations

import re

from tests.web.scheduling.support import MONDAY, london

from mesoclinic.catalogue.models import Treatment
from mesoclinic.people.models import Client, Practitioner
from mesoclinic.scheduling import services
from mesoclinic.scheduling.models import Appointment


def book(client: Client, time: str, practitioner: str = "dr-patel") -> Appointment:
    return services.appointment_book(
        actor=None,
        client=client,
        treatment=Treatment.objects.get(code="face-revitalise"),
        start=london(MONDAY, time),
        practitioner=Practitioner.objects.get(code=practitioner),
    )


def form(client: Client, time: str = "10:00", **extra: str) -> dict[str, str]:
    return {
        "site": "london",
        "start": f"{MONDAY}T{time}",
        "treatment": "face-revitalise",
        "practitioner": "dr-patel",
        "client": str(client.pk),
        "action": "book",
        **extra,
    }


def test_the_form_is_prefilled_from_the_clicked_slot(browser):
    response = browser.get(
        "/calendar/book/",
        {"site": "london", "start": f"{MONDAY}T10:00", "practitioner": "dr-patel"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="2027-02-01T10:00"' in html
    assert '<option value="dr-patel" selected>' in html
    assert '<label for="client-q">' in html


def test_booking_from_a_free_slot_creates_the_appointment(browser, amelia):
    # when
    response = browser.post("/calendar/book/", form(amelia))
    # then
    appointment = Appointment.objects.get(client=amelia)
    assert response.status_code == 302
    assert response["Location"] == f"/appointments/{appointment.pk}/"
    assert appointment.start == london(MONDAY, "10:00")
    assert appointment.treatment_start == london(MONDAY, "10:30")
    assert appointment.practitioner.code == "dr-patel"
    page = browser.get(response["Location"]).content.decode()
    assert "Booked Face revitalise for Amelia Hart at 10:00 on Monday 01 February" in page


def test_htmx_booking_redirects_the_browser(browser, amelia):
    response = browser.post("/calendar/book/", form(amelia), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response["HX-Redirect"].startswith("/appointments/")


def test_a_slot_taken_meanwhile_is_shown_as_just_taken(browser, amelia):
    # given someone else booked the slot after the calendar was drawn
    other = Client.objects.exclude(pk=amelia.pk).filter(email__endswith="@example.com").first()
    book(other, "10:00")
    # when
    response = browser.post("/calendar/book/", form(amelia))
    # then
    html = response.content.decode()
    assert response.status_code == 409
    assert "Just taken." in html
    assert 'role="alert"' in html
    assert not Appointment.objects.filter(client=amelia).exists()


def test_a_start_outside_opening_hours_is_refused_with_the_reason(browser, amelia):
    response = browser.post("/calendar/book/", form(amelia, time="07:00"))
    assert response.status_code == 422
    assert "Not booked." in response.content.decode()
    assert not Appointment.objects.filter(client=amelia).exists()


def test_a_refused_screening_is_explained(browser):
    pregnant = Client.objects.get(email="chloe.dawson@example.com")
    response = browser.post("/calendar/book/", form(pregnant))
    html = response.content.decode()
    assert response.status_code == 422
    assert "Not booked." in html
    assert "pregnan" in html.lower()


def test_a_missing_client_is_a_form_error(browser, amelia):
    data = form(amelia)
    del data["client"]
    response = browser.post("/calendar/book/", data)
    assert response.status_code == 400
    assert "Choose the client: search by name, email or phone." in response.content.decode()


def test_searching_for_the_client_lists_matches_without_booking(browser, amelia):
    data = form(amelia, action="search", q="hart")
    del data["client"]
    response = browser.post("/calendar/book/", data)
    html = response.content.decode()
    assert response.status_code == 200
    assert f'value="{amelia.pk}"' in html
    assert "Amelia Hart" in html
    assert not Appointment.objects.exists()


def test_the_htmx_client_search_returns_the_options_fragment(browser, amelia):
    response = browser.get(
        "/calendar/client-options/", {"q": "amelia"}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="client-options"')
    assert f'name="client" value="{amelia.pk}"' in html


def test_the_appointment_page_shows_both_phases(browser, amelia):
    appointment = book(amelia, "10:00")
    html = browser.get(f"/appointments/{appointment.pk}/").content.decode()
    assert "10:00–10:30</strong> numbing cream in the lounge" in html
    assert "10:30–11:00</strong> treatment" in html
    assert f"/appointments/{appointment.pk}/cancel/" in html
    assert f"/appointments/{appointment.pk}/reschedule/" in html


def test_an_unknown_appointment_is_a_404(browser):
    assert browser.get("/appointments/999999/").status_code == 404


def test_cancelling_asks_for_confirmation_first(browser, amelia):
    appointment = book(amelia, "10:00")
    page = browser.get(f"/appointments/{appointment.pk}/cancel/").content.decode()
    assert "Cancel this appointment?" in page
    response = browser.post(f"/appointments/{appointment.pk}/cancel/", {"reason": "ill"})
    assert response.status_code == 400
    assert "Tick the box to confirm the cancellation." in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == "booked"


def test_cancelling_with_confirmation_frees_the_slot(browser, amelia):
    appointment = book(amelia, "10:00")
    response = browser.post(
        f"/appointments/{appointment.pk}/cancel/", {"confirm": "on", "reason": "ill"}
    )
    appointment.refresh_from_db()
    assert response.status_code == 302
    assert appointment.status == "cancelled"
    assert appointment.cancel_reason == "ill"
    calendar = browser.get("/calendar/", {"date": MONDAY}).content.decode()
    assert 'aria-label="Book Dr Asha Patel at 10:30"' in calendar


def test_cancelling_twice_says_why(browser, amelia):
    appointment = book(amelia, "10:00")
    browser.post(f"/appointments/{appointment.pk}/cancel/", {"confirm": "on"})
    response = browser.post(f"/appointments/{appointment.pk}/cancel/", {"confirm": "on"})
    assert response.status_code == 409
    assert "only a booked appointment can be cancelled" in response.content.decode()


def test_rescheduling_offers_free_times_and_moves_the_appointment(browser, amelia):
    appointment = book(amelia, "10:00")
    page = browser.get(f"/appointments/{appointment.pk}/reschedule/").content.decode()
    assert "Free times on Monday 1 February" in page
    assert "Move to 14:00 with dr-patel" in page
    response = browser.post(
        f"/appointments/{appointment.pk}/reschedule/",
        {"start": f"{MONDAY}T14:00", "practitioner": "dr-patel"},
    )
    appointment.refresh_from_db()
    assert response.status_code == 302
    assert appointment.start == london(MONDAY, "14:00")


def test_rescheduling_onto_a_taken_time_is_just_taken(browser, amelia):
    appointment = book(amelia, "10:00")
    other = Client.objects.exclude(pk=amelia.pk).filter(email__endswith="@example.com").first()
    book(other, "14:00")
    response = browser.post(
        f"/appointments/{appointment.pk}/reschedule/",
        {"start": f"{MONDAY}T14:00", "practitioner": "dr-patel"},
    )
    appointment.refresh_from_db()
    assert response.status_code == 409
    assert "Just taken." in response.content.decode()
    assert appointment.start == london(MONDAY, "10:00")


def test_booking_a_client_already_booked_then_names_their_other_appointment(browser, amelia):
    # given: Amelia is at the clinic 10:00-11:00 with dr-patel
    book(amelia, "10:00")
    # when: reception books her at 10:30 with nurse-lewis, who is free
    response = browser.post("/calendar/book/", form(amelia, "10:30", practitioner="nurse-lewis"))
    # then: refused with the time of the other appointment, not as a lost race
    html = response.content.decode()
    assert response.status_code == 409
    assert "Not booked." in html
    assert "already has an appointment on Monday 1 February 2027 from 10:00 to 11:00" in html
    assert "Just taken." not in html
    assert Appointment.objects.filter(client=amelia).count() == 1


def test_rescheduling_onto_the_clients_other_appointment_is_refused(browser, amelia):
    # given: two appointments of Amelia's, 10:00-11:00 and 14:00-15:00
    book(amelia, "10:00")
    later = book(amelia, "14:00")
    # when: the later one is moved to 10:30 with nurse-lewis (free then)
    response = browser.post(
        f"/appointments/{later.pk}/reschedule/",
        {"start": f"{MONDAY}T10:30", "practitioner": "nurse-lewis"},
    )
    # then
    html = response.content.decode()
    assert response.status_code == 409
    assert "already has an appointment on Monday 1 February 2027 from 10:00 to 11:00" in html
    later.refresh_from_db()
    assert later.start == london(MONDAY, "14:00")


def test_a_screening_refusal_names_the_practitioner_and_says_dates_in_words(browser, amelia):
    # Rhys Hughes's registration has expired
    response = browser.post("/calendar/book/", form(amelia, practitioner="nurse-hughes"))
    html = response.content.decode()
    alert = html[html.index("Not booked.") : html.index("</div>", html.index("Not booked."))]
    assert response.status_code == 422
    assert "Rhys Hughes" in alert
    assert "nurse-hughes" not in alert
    assert not re.search(r"\d{4}-\d{2}-\d{2}", alert)
