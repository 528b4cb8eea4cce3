"""What one booking costs the database (issues #4 and #17, W2): a small, fixed number of
queries, pinned here on both databases.

A booking screens the client (two reads: the client's safety records with the consent
form, and the formulation with its ingredients), asks the engine for the slot, then in
one transaction re-checks (one read: appointments and live slot holds), inserts, audits,
and queues one task, from which the worker writes the seven messages with their delivery
tasks (one ``INSERT`` each). It took 70 queries once, 32 before issue 17, 22 with
messages written in the booking, now 21 with cold caches (of which 9 read the site's
set-up and 2 its busy time: a running server holds them in memory: 15 queries when they
are current). On PostgreSQL two more statements take the lounge and the holds'
locks. A course re-checks every session in one read and inserts them in one ``INSERT``.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult
from tests.messaging.queued import booking_messages_written

from mesoclinic.catalogue.models import Treatment
from mesoclinic.core.errors import Conflict
from mesoclinic.core.models import AuditEntry
from mesoclinic.messaging.models import Message
from mesoclinic.people import policy
from mesoclinic.people.models import Client, Practitioner
from mesoclinic.scheduling import services

from .conftest import london

MAX_QUERIES = 21


@pytest.fixture
def amelia(demo) -> Client:
    """A client reachable by email and SMS (freshly read): a booking schedules seven
    messages."""
    Client.objects.filter(email="amelia.hart@example.com").update(phone="+447700900123")
    return Client.objects.get(email="amelia.hart@example.com")


def _inserts_into(table: str, queries: list[dict[str, str]]) -> int:
    return sum(1 for query in queries if query["sql"].startswith(f'INSERT INTO "{table}"'))


@pytest.mark.parametrize("practitioner", ["dr-patel", None])
def test_one_booking_runs_a_bounded_number_of_queries(
    amelia, practitioner, django_assert_max_num_queries
):
    # given
    treatment = Treatment.objects.get(code="face-revitalise")
    chosen = Practitioner.objects.get(code=practitioner) if practitioner else None
    lounge_lock = 2 * int(connection.vendor == "postgresql")  # lounge and holds' locks
    policy.policy_value("DEPOSIT_PERCENT")  # saved policies: read once a minute, not a booking
    # when
    with django_assert_max_num_queries(MAX_QUERIES + lounge_lock) as captured:
        appointment = services.appointment_book(
            actor=None,
            client=amelia,
            treatment=treatment,
            start=london("2027-03-01", "10:00"),
            practitioner=chosen,
        )
    # then: one task queued for the messages, none written yet
    queries = captured.captured_queries
    assert _inserts_into("messaging_message", queries) == 0
    assert _inserts_into("django_tasks_database_dbtaskresult", queries) == 1
    assert _inserts_into("core_auditentry", queries) == 1
    assert DBTaskResult.objects.count() == 1
    # the screening inputs: one read of the client's safety records, one of the formulation
    assert _reading("safety_", queries) == 1
    assert _reading("catalogue_ingredient", queries) == 1
    # the re-check reads appointments and holds together; messages are not looked up
    assert _reading("scheduling_slothold", queries) == 2  # engine's busy time, re-check
    assert _reading("messaging_message", queries) == 0
    # and the worker's task writes the seven messages in one INSERT, their tasks in another
    with CaptureQueriesContext(connection) as written:
        assert booking_messages_written() == 1
    assert Message.objects.filter(appointment=appointment).count() == 7
    assert _inserts_into("messaging_message", written.captured_queries) == 1
    assert _inserts_into("django_tasks_database_dbtaskresult", written.captured_queries) == 1


def _reading(table: str, queries: list[dict[str, str]]) -> int:
    return sum(
        1
        for query in queries
        if query["sql"].lstrip("(").startswith("SELECT") and table in query["sql"]
    )


COURSE_MAX_QUERIES = 28
"""Ten sessions, cold caches: 17 reads before the transaction (plan, site, screening),
then the course, one re-check, one INSERT of the sessions, audit, the messages' task."""


@pytest.mark.parametrize("sessions", [4, 10])
def test_a_course_costs_the_same_queries_whatever_its_number_of_sessions(
    amelia, sessions, django_assert_max_num_queries
):
    # given
    treatment = Treatment.objects.get(code="face-revitalise")
    policy.policy_value("DEPOSIT_PERCENT")
    locks = 3 * int(connection.vendor == "postgresql")  # lounge, holds (site, practitioner)
    # when
    with django_assert_max_num_queries(COURSE_MAX_QUERIES + locks) as captured:
        course, _ = services.course_book(
            actor=None,
            client=amelia,
            treatment=treatment,
            start_date=dt.date(2027, 3, 1),
            sessions=sessions,
        )
    # then: every session booked, re-checked in one read and inserted in one INSERT
    queries = captured.captured_queries
    assert course.appointments.filter(status="booked").count() == sessions
    assert _inserts_into("scheduling_appointment", queries) == 1
    rechecks = [q for q in queries if "UNION ALL" in q["sql"] and "scheduling_slothold" in q["sql"]]
    assert len(rechecks) == 1


def test_a_course_writes_its_audit_entries_and_queues_its_messages_in_one_insert_each(amelia):
    treatment = Treatment.objects.get(code="face-revitalise")
    last_entry = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    with CaptureQueriesContext(connection) as captured:
        course, _ = services.course_book(
            actor=None, client=amelia, treatment=treatment, start_date=dt.date(2027, 3, 1)
        )
    queries = captured.captured_queries
    appointments = list(course.appointments.order_by("session_number"))
    assert len(appointments) == 10
    assert _inserts_into("core_auditentry", queries) == 1
    entries = AuditEntry.objects.filter(id__gt=last_entry).order_by("id")
    expected = [("course.book", str(course.pk))]
    expected += [("appointment.book", str(appointment.pk)) for appointment in appointments]
    assert list(entries.values_list("action", "object_id")) == expected
    # One task for the course's messages; the worker writes one course confirmation per
    # channel (2) and each session's preparation and reminders (5 x 10): 52 rows, under
    # SQLite's 999 parameters for one INSERT
    assert _inserts_into("django_tasks_database_dbtaskresult", queries) == 1
    assert _inserts_into("messaging_message", queries) == 0
    with CaptureQueriesContext(connection) as written:
        assert booking_messages_written() == 1
    assert _inserts_into("messaging_message", written.captured_queries) == 1
    assert Message.objects.filter(appointment__course=course).count() == 52


WARM_MAX_QUERIES = 15


@pytest.mark.django_db(transaction=True)
def test_a_booking_reads_the_site_and_its_busy_time_from_memory_when_they_are_current(
    amelia, django_assert_max_num_queries
):
    # given: one booking has filled this process's caches
    from mesoclinic.scheduling import busy, site_resources

    busy.busy_cache().clear()
    site_resources.clear_cache()
    treatment = Treatment.objects.get(code="face-revitalise")
    book = lambda time: services.appointment_book(  # noqa: E731
        actor=None, client=amelia, treatment=treatment, start=london("2027-03-01", time)
    )
    book("10:00")
    lounge_lock = 2 * int(connection.vendor == "postgresql")  # lounge and holds' locks
    # when: the next one
    with django_assert_max_num_queries(WARM_MAX_QUERIES + lounge_lock) as captured:
        book("11:00")
    # then: no query for opening hours, practitioners, rooms or the day's bookings; the
    # clocks say nothing else changed and the change log gives the first booking
    tables = " ".join(query["sql"] for query in captured.captured_queries)
    for table in ("people_openinghours", "people_workinghours", "people_room", "people_absence"):
        assert table not in tables
    assert tables.count("scheduling_calendarclock") == 2


def test_a_refused_time_reads_only_the_appointments_near_it(amelia):
    """A refusal names what is taken (lounge, device) from the site's appointments around
    the time, bounded on both sides: unbounded below, the (site, start) index read the
    site's whole history (W2: 170 ms per refusal on 200,000 appointments)."""
    # given: the time is taken for the one practitioner asked for
    treatment = Treatment.objects.get(code="face-revitalise")
    patel = Practitioner.objects.get(code="dr-patel")
    start = london("2027-03-01", "10:00")
    services.appointment_book(
        actor=None, client=amelia, treatment=treatment, start=start, practitioner=patel
    )
    other = Client.objects.exclude(pk=amelia.pk).order_by("pk").first()
    # when
    with CaptureQueriesContext(connection) as captured, pytest.raises(Conflict):
        services.appointment_book(
            actor=None, client=other, treatment=treatment, start=start, practitioner=patel
        )
    # then: every read of the site's appointments has a lower bound on the start
    site_reads = [
        query["sql"]
        for query in captured.captured_queries
        if query["sql"].startswith("SELECT")
        and 'FROM "scheduling_appointment"' in query["sql"]
        and '"scheduling_appointment"."site_id" =' in query["sql"]
    ]
    assert site_reads
    assert all('"scheduling_appointment"."start" >=' in sql for sql in site_reads)
