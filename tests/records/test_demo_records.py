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
    assert counts == (7, 25)
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
