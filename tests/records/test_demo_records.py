"""The demo clinic's records: loaded once, showing every records screen something real."""

from __future__ import annotations

from mesoclinic.catalogue.models import Treatment
from mesoclinic.core import clock
from mesoclinic.demo.records import load_records_demo
from mesoclinic.people.models import Client
from mesoclinic.records.models import AdverseEvent, ChartPoint, FollowUp, TreatmentRecord
from mesoclinic.records.selectors import maintenance_interval_for, recall_recipients


def test_demo_records_load_once(demo):
    # when
    load_records_demo()
    counts = (TreatmentRecord.objects.count(), ChartPoint.objects.count())
    load_records_demo()

    # then
    # 7 freehand sessions and one with each of the six devices (issue #19)
    assert counts == (13, 42)
    assert (TreatmentRecord.objects.count(), ChartPoint.objects.count()) == counts
    assert TreatmentRecord.objects.filter(signed_at__isnull=True).count() == 0
    assert AdverseEvent.objects.count() == 1


def test_demo_pigmentation_client_has_a_shortened_maintenance_interval(demo):
    # when
    load_records_demo()

    # then
    decision = maintenance_interval_for(
        client=Client.objects.get(email="sophie.carter@example.com"),
        treatment=Treatment.objects.get(code="pigmentation"),
    )
    assert (decision.interval_days, str(decision.reason)) == (56, "score_worsened")


def test_demo_follow_ups_already_due_are_recorded(demo):
    # when
    load_records_demo()

    # then
    assert not FollowUp.objects.filter(completed_at__isnull=True, due_at__lte=clock.now()).exists()
    assert FollowUp.objects.filter(outcome="no_adverse_event").count() >= 7
    lot = TreatmentRecord.objects.first().products.first().batch.lot
    assert len(list(recall_recipients(lot))) >= 1


def test_every_demo_device_has_a_signed_session_with_its_settings(demo):
    # given
    from mesoclinic.people.models import Device, DeviceType
    from mesoclinic.records.device_settings import validate_device_settings

    # when
    load_records_demo()

    # then
    # London has one of every kind (Manchester's two are its own, unused by the history)
    london = Device.objects.filter(site__code="london")
    assert set(london.values_list("device_type", flat=True)) == set(DeviceType.values)
    for device in london:
        record = TreatmentRecord.objects.get(device=device)
        assert record.is_signed
        assert record.delivery == "device"
        assert record.appointment.device_id == device.pk
        assert record.device_settings
        assert validate_device_settings(device.device_type, record.device_settings) == (
            record.device_settings
        )


def test_the_large_bruise_session_closes_its_follow_ups_with_the_adverse_event(demo):
    # when
    load_records_demo()

    # then
    record = TreatmentRecord.objects.get(client__email="olivia.brennan@example.com")
    assert record.reactions == ["bruise_large"]
    assert str(record.bruise_cm) == "5.0"
    event = AdverseEvent.objects.get()
    closed = record.follow_ups.filter(completed_at__isnull=False)
    assert closed.exists()
    assert {(f.outcome, f.adverse_event_id) for f in closed} == {("adverse_event", event.pk)}
    emily = TreatmentRecord.objects.get(client__email="emily.sato@example.com")
    assert emily.reactions == ["purple_dots", "under_eye_swelling"]
