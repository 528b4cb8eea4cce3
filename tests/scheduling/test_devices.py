"""A requested device is reserved or the booking refused with a reason; a full lounge is
named (issue #14, item 6).

The bug: ``device: "vital-injector"`` answered 201 with ``device: null`` (dropped), and a
full lounge answered "That time is not free for nurse-lewis".
"""

from __future__ import annotations

from mesoclinic.people.models import Client, Site
from mesoclinic.scheduling.models import Appointment

MONDAY_9 = "2027-03-01T09:00:00+00:00"


def _client(email="amelia.hart@example.com") -> Client:
    return Client.objects.get(email=email)


def _book(api, client=None, **body):
    body = {
        "client": (client or _client()).pk,
        "treatment": "face-revitalise",
        "start": MONDAY_9,
    } | body
    return api.post("/appointments", body)


def test_a_requested_injector_is_reserved(api):
    # when
    response = _book(api, device="vital-injector")
    # then
    assert response.status_code == 201, response.json()
    assert response.json()["device"] == "vital-injector"
    assert Appointment.objects.get().device.code == "vital-injector"


def test_a_reserved_injector_is_not_given_twice(api):
    # given
    assert _book(api, device="vital-injector", practitioner="dr-patel").status_code == 201
    # when: another client, another practitioner, the same injector, the same time
    response = _book(
        api,
        client=_client("freya.adeyemi@example.com"),
        device="vital-injector",
        practitioner="nurse-lewis",
    )
    # then
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "slot_unavailable"
    assert error["message"].startswith("Vital Injector is in use at 09:00")
    assert error["details"]["device"] == "vital-injector"
    # and without the injector the same time is free
    other = _book(api, client=_client("freya.adeyemi@example.com"), practitioner="nurse-lewis")
    assert other.status_code == 201


def test_an_unsuitable_device_is_a_422(api):
    response = _book(api, device="dermafrac")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "unsuitable_device"
    assert "DermaFrac" in error["message"]
    assert not Appointment.objects.exists()


def test_a_device_of_the_wrong_type_for_a_device_treatment_is_a_422(api):
    response = _book(api, treatment="acne-scars", device="vital-injector")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "unsuitable_device"


def test_a_moved_appointment_keeps_its_injector(api):
    booked = _book(api, device="vital-injector", practitioner="dr-patel").json()
    moved = api.post(
        f"/appointments/{booked['id']}/reschedule", {"start": "2027-03-01T14:00:00+00:00"}
    )
    assert moved.status_code == 200, moved.json()
    assert moved.json()["device"] == "vital-injector"


def test_a_full_lounge_is_named(api):
    # given: a one-place lounge taken at 09:00
    Site.objects.filter(code="london").update(numbing_lounge_capacity=1)
    assert _book(api, practitioner="dr-patel").status_code == 201
    # when: another client with another practitioner at the same time
    response = _book(api, client=_client("freya.adeyemi@example.com"), practitioner="nurse-lewis")
    # then
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "slot_unavailable"
    assert error["message"] == "The numbing lounge is full at 09:00: choose another time."
    assert error["details"]["resource"] == "numbing_lounge"
