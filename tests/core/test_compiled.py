"""Compiled queries (core/compiled.py): the same rows as the ORM, with new arguments."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.models import Count, Q
from django.test.utils import CaptureQueriesContext

from mesoclinic.catalogue.models import Treatment
from mesoclinic.core.compiled import CompiledQuery
from mesoclinic.people.models import Client, Practitioner
from mesoclinic.scheduling import services
from mesoclinic.scheduling.models import Appointment


def _booked_between(**arguments):
    """Appointments of a practitioner between two moments, with a per-row annotation."""
    near = Q()
    for number in range(sum(1 for name in arguments if name.startswith("after_"))):
        near |= Q(start__gte=arguments[f"after_{number}"], start__lt=arguments[f"before_{number}"])
    return (
        Appointment.objects.filter(near, practitioner_id=arguments["practitioner"])
        .annotate(sessions=Count("course__appointments"))
        .order_by("start", "pk")
        .values_list("pk", "start", "end", "practitioner_id", "sessions")
    )


BOOKED_BETWEEN = CompiledQuery(_booked_between)


@pytest.fixture
def booked(demo) -> int:
    """Four bookings of Dr Patel's in 2026 and 2027 (their practitioner's id)."""
    patel = Practitioner.objects.get(code="dr-patel")
    treatment = Treatment.objects.get(code="face-revitalise")
    client = Client.objects.get(email="amelia.hart@example.com")
    for day in ("2027-03-01", "2027-03-08", "2027-06-07", "2027-07-05"):
        start = dt.datetime.fromisoformat(f"{day}T10:00").replace(tzinfo=dt.UTC)
        services.appointment_book(
            actor=None, client=client, treatment=treatment, start=start, practitioner=patel
        )
    return patel.pk


def _moments(*days: str) -> dict[str, dt.datetime]:
    return {day: dt.datetime.fromisoformat(day).replace(tzinfo=dt.UTC) for day in days}


@pytest.mark.parametrize(
    "windows",
    [
        [("2027-01-01", "2028-01-01")],
        [("2027-03-05", "2027-06-10")],
        [("2027-03-01", "2027-03-02"), ("2027-06-01", "2027-09-01")],
    ],
)
def test_a_compiled_query_gives_the_rows_the_orm_gives(booked, windows):
    # given: windows given as numbered arguments
    arguments = {"practitioner": booked}
    for number, (after, before) in enumerate(windows):
        moments = _moments(after, before)
        arguments |= {f"after_{number}": moments[after], f"before_{number}": moments[before]}
    # when: run twice (compiled on the first call, reused on the second)
    first = BOOKED_BETWEEN.rows(**arguments)
    second = BOOKED_BETWEEN.rows(**arguments)
    # then: the ORM's own rows, datetimes converted as the ORM converts them
    expected = list(_booked_between(**arguments))
    assert first == second == expected
    assert first  # each window holds a booking
    assert all(isinstance(row[1], dt.datetime) and row[1].tzinfo for row in first)


def test_the_same_shape_runs_with_other_arguments(booked):
    practitioners = [booked, *Practitioner.objects.exclude(pk=booked).values_list("pk", flat=True)]
    window = {
        "after_0": _moments("2000-01-01")["2000-01-01"],
        "before_0": dt.datetime(2100, 1, 1, tzinfo=dt.UTC),
    }
    for practitioner in practitioners:
        rows = BOOKED_BETWEEN.rows(practitioner=practitioner, **window)
        assert rows == list(_booked_between(practitioner=practitioner, **window))
        assert {row[3] for row in rows} == ({practitioner} if practitioner == booked else set())
    assert BOOKED_BETWEEN.rows(practitioner=booked, **window)


def _prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's prepared statements")
def test_a_compiled_query_is_prepared_once_per_connection_on_postgresql(booked):
    # given
    window = {
        "after_0": dt.datetime(2027, 1, 1, tzinfo=dt.UTC),
        "before_0": dt.datetime(2028, 1, 1, tzinfo=dt.UTC),
    }
    # when: the same shape three times with other arguments
    answers = [BOOKED_BETWEEN.rows(practitioner=who, **window) for who in (booked, booked, 0)]
    # then: one prepared statement of this query in the session, and the ORM's rows
    mine = [sql for sql in _prepared_statements() if "COUNT(" in sql and "$1" in sql]
    assert len(mine) == 1
    assert answers[0] == answers[1] == list(_booked_between(practitioner=booked, **window))
    assert answers[2] == []


def test_an_argument_the_sql_does_not_use_is_refused(db):
    unused = CompiledQuery(lambda **arguments: Appointment.objects.values_list("pk"))
    with pytest.raises(ValueError, match="not found in the compiled SQL"):
        unused.rows(client=1)


def test_only_ints_text_and_datetimes_are_arguments(db):
    query = CompiledQuery(lambda **arguments: Appointment.objects.values_list("pk"))
    with pytest.raises(TypeError, match="ints, text and datetimes"):
        query.rows(label=1.5)


def _bookings_of(code: str, after: dt.datetime):
    """A practitioner's appointments by code, with rows joined in (one of them, the
    device, often missing) and an annotation."""
    return (
        Appointment.objects.select_related("client", "treatment__default_formulation", "device")
        .filter(practitioner__code=code, start__gte=after)
        .annotate(sessions=Count("course__appointments"))
        .order_by("start", "pk")
    )


BOOKINGS_OF = CompiledQuery(_bookings_of)


def _as_seen(appointment):
    """What a caller reads of an appointment and the rows joined to it."""
    return (
        appointment.pk,
        appointment.start,
        appointment.client.email,
        appointment.treatment.code,
        appointment.treatment.default_formulation.code,
        appointment.device.code if appointment.device else None,
        appointment.sessions,
    )


@pytest.mark.parametrize("code", ["dr-patel", "nurse-lewis", "nobody"])
def test_compiled_objects_are_the_instances_the_orm_gives(booked, code):
    after = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    expected = list(_bookings_of(code, after))
    # when: run twice (compiled on the first call, reused on the second), text argument
    first = BOOKINGS_OF.objects(code=code, after=after)
    second = BOOKINGS_OF.objects(code=code, after=after)
    # then: the same instances, their joined rows already there (no query to read them)
    assert [_as_seen(a) for a in first] == [_as_seen(a) for a in second]
    with CaptureQueriesContext(connection) as queries:
        seen = [_as_seen(a) for a in first]
    assert seen == [_as_seen(a) for a in expected]
    assert len(queries) == 0
    assert bool(seen) == (code == "dr-patel")


def test_objects_of_a_values_list_query_is_refused(db):
    query = CompiledQuery(lambda pk: Appointment.objects.filter(pk=pk).values_list("pk"))
    with pytest.raises(TypeError, match="use rows"):
        query.objects(pk=1)
