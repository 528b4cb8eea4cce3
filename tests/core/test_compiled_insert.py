"""``CompiledInsert``: one new instance written with SQL compiled once, as ``save`` writes it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, OperationalError, transaction
from django.forms.models import model_to_dict

from mesoclinic.catalogue.models import Treatment
from mesoclinic.core.compiled import CompiledInsert
from mesoclinic.core.models import AuditEntry
from mesoclinic.people.models import Client
from mesoclinic.scheduling import services
from mesoclinic.scheduling.models import Appointment

INSERT_ENTRY = CompiledInsert(AuditEntry)
INSERT_APPOINTMENT = CompiledInsert(Appointment)


def _entry(**changes) -> AuditEntry:
    fields = {
        "at": dt.datetime(2027, 3, 1, 9, 30, 15, 123456, tzinfo=dt.UTC),
        "actor_label": "dr-patel",
        "role": "practitioner",
        "ip": "2001:db8::7",
        "action": "test.compiled_insert",
        "object_type": "client",
        "object_id": "42",
        "summary": "Zoë's record, 100 % read",
        "data": {"codes": ["toxin_interval"], "units": 50, "nested": {"none": None}},
    }
    return AuditEntry(**(fields | changes))


def _stored(entry: AuditEntry) -> dict:
    return model_to_dict(AuditEntry.objects.get(pk=entry.pk), exclude=["id"])


def test_an_entry_is_stored_as_save_stores_it(db):
    # given: the same entry twice, one for save() and one for the compiled insert
    actor = get_user_model().objects.create_user("compiled-insert-actor")
    saved, inserted = _entry(actor=actor), _entry(actor=actor)
    # when
    saved.save(force_insert=True)
    INSERT_ENTRY.insert(inserted)
    # then: a new primary key, the instance marked saved, and the same row in the database
    assert inserted.pk is not None
    assert inserted.pk != saved.pk
    assert (inserted._state.adding, inserted._state.db) == (False, "default")
    assert _stored(inserted) == _stored(saved) == model_to_dict(saved, exclude=["id"])


def test_the_statement_is_reused_with_other_values(db):
    # when: two entries of different content, the second with empty optional fields
    first = _entry()
    second = _entry(ip=None, summary="", data={}, action="test.second")
    INSERT_ENTRY.insert(first)
    INSERT_ENTRY.insert(second)
    # then
    assert _stored(second)["ip"] is None
    assert _stored(second)["action"] == "test.second"
    assert _stored(first)["data"]["units"] == 50


def test_a_saved_instance_or_an_unsaved_related_object_is_refused(db):
    saved = _entry()
    saved.save(force_insert=True)
    with pytest.raises(ValueError, match="new instances only"):
        INSERT_ENTRY.insert(saved)
    unsaved_actor = get_user_model()(username="never-saved")
    with pytest.raises(ValueError, match="unsaved related object"):
        INSERT_ENTRY.insert(_entry(actor=unsaved_actor))
    assert AuditEntry.objects.filter(action="test.compiled_insert").count() == 1


def test_an_overlapping_appointment_is_refused_by_the_database_and_nothing_is_written(demo):
    # given: a booking of Dr Patel's
    booked = services.appointment_book(
        actor=None,
        client=Client.objects.get(email="amelia.hart@example.com"),
        treatment=Treatment.objects.get(code="face-revitalise"),
        start=dt.datetime(2027, 3, 2, 10, tzinfo=dt.UTC),
        notify=False,
    )
    # when: the same practitioner, room and time for another client, past every check
    twin = Appointment.objects.get(pk=booked.pk)
    twin.pk = None
    twin._state.adding = True
    twin.client = Client.objects.get(email="sophie.carter@example.com")
    before = Appointment.objects.count()
    with pytest.raises((IntegrityError, OperationalError)), transaction.atomic():
        INSERT_APPOINTMENT.insert(twin)
    # then: the database's overlap guard refused it, and the transaction goes on
    assert Appointment.objects.count() == before
    assert twin.pk is None
