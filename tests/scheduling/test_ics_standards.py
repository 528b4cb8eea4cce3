"""The client's ``.ics``: SEQUENCE follows the appointment, iTIP roles, escaped names.

Each file is read by three independent parsers (icalendar, vobject, ics) so a quirk of
one library cannot hide a malformed file.
"""

from __future__ import annotations

import ics
import vobject
from icalendar import Calendar

from mesoclinic.catalogue.models import Treatment
from mesoclinic.people.models import Client, Practitioner, Site
from mesoclinic.scheduling import services

from .conftest import london


def _book(client: Client):
    return services.appointment_book(
        actor=None,
        client=client,
        treatment=Treatment.objects.get(code="face-revitalise"),
        start=london("2027-03-01", "10:00"),
        practitioner=Practitioner.objects.get(code="dr-patel"),
    )


def _file(api, appointment) -> bytes:
    response = api.get(f"/appointments/{appointment.pk}.ics")
    assert response.status_code == 200
    return response.content


def _as_list(value) -> list:
    return [] if value is None else value if isinstance(value, list) else [value]


def _parsed(content: bytes) -> dict:
    """What each of the three parsers reads from the file's one event."""
    [event] = Calendar.from_ical(content).walk("VEVENT")
    card = vobject.readOne(content.decode())
    [ics_event] = ics.Calendar(content.decode()).events
    return {
        "icalendar": (int(event["sequence"]), str(Calendar.from_ical(content)["method"])),
        "vobject": (int(card.vevent.sequence.value), card.method.value),
        "ics": (ics_event.uid, str(ics_event.status)),
        "organizer": str(event["organizer"]),
        "attendees": [str(a) for a in _as_list(event.get("attendee"))],
        "vobject_attendee_cn": (
            card.vevent.attendee.params["CN"][0] if hasattr(card.vevent, "attendee") else None
        ),
        "uid": str(event["uid"]),
    }


def test_sequence_moves_on_reschedule_and_cancel_and_the_endpoint_serves_it(api, demo):
    # given
    amelia = Client.objects.get(email="amelia.hart@example.com")
    appointment = _book(amelia)
    booked = _parsed(_file(api, appointment))
    # when: moved, then cancelled
    moved = services.appointment_reschedule(
        actor=None, appointment=appointment, start=london("2027-03-02", "11:00")
    )
    after_move = _parsed(_file(api, moved))
    services.appointment_cancel(actor=None, appointment=moved, reason="")
    after_cancel = _parsed(_file(api, moved))
    # then: one UID, SEQUENCE 0 → 1 → 2 as every parser reads it
    assert booked["icalendar"] == (0, "PUBLISH")
    assert booked["vobject"] == (0, "PUBLISH")
    assert after_move["icalendar"] == (1, "PUBLISH")
    assert after_move["vobject"] == (1, "PUBLISH")
    assert after_cancel["icalendar"] == (2, "CANCEL")
    assert after_cancel["vobject"] == (2, "CANCEL")
    assert after_cancel["ics"] == (booked["uid"], "CANCELLED")
    assert {booked["uid"], after_move["uid"], after_cancel["uid"]} == {booked["uid"]}


def test_organizer_is_the_clinic_and_attendee_the_client(api, demo, settings):
    # given
    settings.MESOCLINIC = settings.MESOCLINIC | {"CLINIC_EMAIL": "hello@clinic.example"}
    appointment = _book(Client.objects.get(email="amelia.hart@example.com"))
    # when
    content = _file(api, appointment)
    parsed = _parsed(content)
    # then
    assert parsed["organizer"] == "mailto:hello@clinic.example"
    assert parsed["attendees"] == ["mailto:amelia.hart@example.com"]
    assert parsed["vobject_attendee_cn"] == "Amelia Hart"
    assert b"PARTSTAT=ACCEPTED" in content


def test_names_with_separators_are_escaped(api, demo):
    # given: a client and clinic whose names hold iCalendar's separators
    client = Client.objects.get(email="amelia.hart@example.com")
    client.given_name, client.family_name = 'Anne, "Nan"; Marie', "O'Hart:Smith"
    client.save()
    Site.objects.filter(code="london").update(name="Mesoclinic; London, W1")
    appointment = _book(client)
    # when
    content = _file(api, appointment)
    # then: every parser gets the names back whole
    [attendee] = _as_list(Calendar.from_ical(content).walk("VEVENT")[0]["attendee"])
    assert attendee.params["CN"] == 'Anne, "Nan"; Marie O\'Hart:Smith'
    card = vobject.readOne(content.decode())
    assert card.vevent.summary.value == "Appointment at Mesoclinic; London, W1"
    # a double quote cannot stand in a parameter: RFC 6868 writes it ^' (vobject leaves
    # that encoding as it is)
    assert card.vevent.attendee.params["CN"][0] == "Anne, ^'Nan^'; Marie O'Hart:Smith"
    [event] = ics.Calendar(content.decode()).events
    assert event.name == "Appointment at Mesoclinic; London, W1"
    assert b"SUMMARY:Appointment at Mesoclinic\\; London\\, W1" in content


def test_the_staff_feed_carries_sequence_and_organizer_but_no_client_address(api, demo):
    appointment = _book(Client.objects.get(email="amelia.hart@example.com"))
    services.appointment_reschedule(
        actor=None, appointment=appointment, start=london("2027-03-02", "11:00")
    )
    content = api.get("/practitioners/dr-patel/calendar.ics").content
    [event] = Calendar.from_ical(content).walk("VEVENT")
    assert int(event["sequence"]) == 1
    assert str(event["organizer"]).startswith("mailto:")
    assert "ATTENDEE" not in content.decode()
    assert "amelia.hart@example.com" not in content.decode()


def test_a_client_without_email_gets_a_cancelled_publish_not_a_cancel(api, demo):
    # given: no address, so no ATTENDEE a CANCEL could name (RFC 5546 needs one)
    client = Client.objects.get(email="amelia.hart@example.com")
    client.email = ""
    client.save()
    appointment = _book(client)
    services.appointment_cancel(actor=None, appointment=appointment, reason="")
    # when
    response = api.get(f"/appointments/{appointment.pk}.ics")
    # then
    calendar = Calendar.from_ical(response.content)
    [event] = calendar.walk("VEVENT")
    assert str(calendar["method"]) == "PUBLISH"
    assert (str(event["status"]), int(event["sequence"])) == ("CANCELLED", 1)
    assert "attendee" not in event
    assert response["Content-Type"] == "text/calendar; charset=utf-8; method=PUBLISH"
