"""The record's device must be the one the appointment reserved, unless the record says
why another was used (issue #14, item 6): 422 ``device_not_reserved``."""

from __future__ import annotations

from tests.records.factories import record_body

from mesoclinic.people.models import Device
from mesoclinic.records.models import TreatmentRecord


def test_a_device_never_reserved_is_refused(appointment, fresh_batch, api_as):
    # given: the appointment reserved no device
    assert appointment.device is None
    # when
    response = api_as("dr-patel").post(
        f"/appointments/{appointment.pk}/record", record_body() | {"device": "vital-injector"}
    )
    # then
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "device_not_reserved"
    assert "Vital Injector" in error["message"]
    assert not TreatmentRecord.objects.exists()


def test_another_device_with_a_reason_is_kept_with_the_reason(appointment, fresh_batch, api_as):
    response = api_as("dr-patel").post(
        f"/appointments/{appointment.pk}/record",
        record_body()
        | {
            "device": "vital-injector",
            "device_reason": "Client asked for the injector on the day.",
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["device"] == "vital-injector"
    assert body["device_settings"]["not_reserved_because"] == (
        "Client asked for the injector on the day."
    )


def test_the_reserved_device_is_recorded_by_default(appointment, fresh_batch, api_as):
    # given: the injector was reserved
    appointment.device = Device.objects.get(code="vital-injector")
    appointment.save(update_fields=["device"])
    # when: the record names none, then names it
    first = api_as("dr-patel").post(f"/appointments/{appointment.pk}/record", record_body())
    second = api_as("dr-patel").post(
        f"/appointments/{appointment.pk}/record", record_body() | {"device": "vital-injector"}
    )
    # then
    assert first.status_code == 201
    assert second.status_code == 201
    assert second.json()["device"] == "vital-injector"
