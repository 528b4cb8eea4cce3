import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from mesoclinic.catalogue.models import Batch, Formulation, Protocol, ProtocolPhase, Treatment


def test_batch_lot_is_unique_per_formulation(demo):
    # given
    batch = Batch.objects.first()
    # when / then
    with pytest.raises(IntegrityError), transaction.atomic():
        Batch.objects.create(
            formulation=batch.formulation,
            lot=batch.lot,
            expires_on=dt.date(2030, 1, 1),
            quantity_received=Decimal(1),
            quantity_on_hand=Decimal(1),
        )


def test_batch_quantity_cannot_go_negative(demo):
    batch = Batch.objects.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Batch.objects.filter(pk=batch.pk).update(quantity_on_hand=Decimal("-0.01"))


def test_batch_is_usable_on_its_expiry_day():
    batch = Batch(expires_on=dt.date(2027, 3, 31))
    assert batch.expired_on(dt.date(2027, 3, 31)) is False
    assert batch.expired_on(dt.date(2027, 4, 1)) is True


def test_phase_tolerance_cannot_exceed_gap(demo):
    protocol = Protocol.objects.get(code="single")
    with pytest.raises(IntegrityError), transaction.atomic():
        ProtocolPhase.objects.create(
            protocol=protocol, order=9, name="x", count=1, gap_days=3, tolerance_days=4
        )


def test_toxin_phase_window_respects_the_84_day_floor(demo):
    phase = Protocol.objects.get(code="toxin-quarterly").phases.get()
    assert (phase.earliest_gap_days, phase.latest_gap_days) == (84, 105)


def test_fat_dissolving_window_is_28_to_56_days(demo):
    phase = Protocol.objects.get(code="fat-dissolving").phases.get()
    assert (phase.earliest_gap_days, phase.latest_gap_days, phase.count) == (28, 56, 6)


def test_treatment_price_cannot_be_negative(demo):
    with pytest.raises(IntegrityError), transaction.atomic():
        Treatment.objects.filter(code="face-revitalise").update(price=Decimal("-1"))


def test_formulation_code_is_unique(demo):
    with pytest.raises(IntegrityError), transaction.atomic():
        Formulation.objects.create(code="revitalise-cocktail", name="Copy")
