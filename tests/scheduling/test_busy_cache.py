"""Busy time kept in memory (``scheduling.busy``) against the database it mirrors.

These tests commit (``transaction=True``): the cache serves only reads outside
transactions, and it learns of changes from the revision clock and change log that the
database trigger of migration 0004 writes at commit.
"""

from __future__ import annotations

import datetime as dt
import importlib
import io
import threading

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from mesoclinic.catalogue.models import Treatment
from mesoclinic.core.models import AuditEntry
from mesoclinic.scheduling import busy, revisions, selectors, services
from mesoclinic.scheduling.models import Appointment, CalendarChange, CalendarClock

from .conftest import london

pytestmark = pytest.mark.django_db(transaction=True)

FIRST, LAST = (
    busy.minutes_of(london("2027-02-28", "00:00")),
    busy.minutes_of(london("2027-04-01", "00:00")),
)
WINDOW = {"date_from": dt.date(2027, 3, 1), "date_to": dt.date(2027, 3, 31)}


def _rows(rows: busy.BusyRows) -> set[tuple[int, ...]]:
    return set(zip(*(column.tolist() for column in rows.columns()), strict=True))


def _from_memory() -> set[tuple[int, ...]]:
    rows = busy.busy_cache().starting_between(FIRST, LAST)
    assert rows is not None, "the window lies inside what the cache keeps"
    return _rows(rows)


def _from_database() -> set[tuple[int, ...]]:
    return _rows(busy._fetch_starting(FIRST, LAST))


def _book(client_named, day: str, time: str, treatment: str = "face-revitalise") -> Appointment:
    return services.appointment_book(
        actor=None,
        client=client_named("Amelia", "Hart"),
        treatment=Treatment.objects.get(code=treatment),
        start=london(day, time),
        notify=False,
    )


@pytest.fixture(autouse=True)
def empty_cache():
    busy.busy_cache().clear()
    yield
    busy.busy_cache().clear()


def test_memory_follows_bookings_moves_and_cancellations(demo, client_named):
    # given: the cache filled before any booking
    assert _from_memory() == _from_database()
    # when: bookings, a move and a cancellation commit one after another
    first = _book(client_named, "2027-03-02", "10:00")
    second = _book(client_named, "2027-03-03", "11:00")
    services.appointment_reschedule(
        actor=None, appointment=second, start=london("2027-03-04", "14:00")
    )
    services.appointment_cancel(actor=None, appointment=first)
    # then: memory holds exactly the database's active appointments
    remembered = _from_memory()
    assert remembered == _from_database()
    ids = {row[0] for row in remembered}
    assert second.pk in ids
    assert first.pk not in ids


def test_searches_from_memory_and_from_the_database_offer_the_same_slots(demo, client_named):
    # given
    treatment = Treatment.objects.get(code="face-revitalise")
    _book(client_named, "2027-03-02", "10:00")
    from_memory = selectors.availability_for(treatment=treatment, **WINDOW)
    _book(client_named, "2027-03-02", "12:00")
    # when: the same search outside a transaction (memory) and inside one (the database)
    after_memory = selectors.availability_for(treatment=treatment, **WINDOW)
    with transaction.atomic():
        after_database = selectors.availability_for(treatment=treatment, **WINDOW)
    # then: the second booking is seen by both, and they agree slot for slot
    assert after_memory == after_database
    assert len(after_memory) < len(from_memory)


def test_a_write_by_another_connection_is_seen_on_the_next_read(demo, client_named):
    # given: the cache filled on this thread's connection
    before = _from_memory()
    booked: list[Appointment] = []

    def book_elsewhere() -> None:
        try:
            booked.append(_book(client_named, "2027-03-09", "09:00"))
        finally:
            connection.close()

    # when: another thread (its own database connection, as another worker's) books
    worker = threading.Thread(target=book_elsewhere)
    worker.start()
    worker.join()
    # then
    after = _from_memory()
    assert after == _from_database()
    assert after - before == {row for row in after if row[0] == booked[0].pk}


def test_bulk_updates_and_deletes_reach_memory_through_the_trigger(demo, client_named):
    # given
    kept = _book(client_named, "2027-03-10", "10:00")
    dropped = _book(client_named, "2027-03-11", "10:00")
    _from_memory()
    # when: writes that bypass the services and model signals
    Appointment.objects.filter(pk=kept.pk).update(
        start=london("2027-03-10", "11:00"),
        treatment_start=london("2027-03-10", "11:30"),
        end=london("2027-03-10", "12:15"),
        busy_until=london("2027-03-10", "12:15"),
    )
    Appointment.objects.filter(pk=dropped.pk).delete()
    # then
    remembered = _from_memory()
    assert remembered == _from_database()
    assert dropped.pk not in {row[0] for row in remembered}
    moved = next(row for row in remembered if row[0] == kept.pk)
    assert moved[5] == busy.minutes_of(london("2027-03-10", "11:00"))


def test_each_change_advances_the_clock_once_and_is_logged(demo, client_named):
    # given/when: a booking (insert) and its cancellation (update)
    appointment = _book(client_named, "2027-03-12", "10:00")
    services.appointment_cancel(actor=None, appointment=appointment)
    # then: two consecutive revisions, the clock at the second
    logged = list(
        CalendarChange.objects.filter(appointment_id=appointment.pk)
        .order_by("revision")
        .values_list("revision", flat=True)
    )
    assert len(logged) == 2
    assert logged[1] == logged[0] + 1
    assert CalendarClock.objects.get(key=CalendarClock.APPOINTMENTS).revision == logged[1]


def test_an_emptied_database_is_not_mistaken_for_the_one_remembered(demo, client_named):
    # given: memory of a calendar with one booking
    appointment = _book(client_named, "2027-03-15", "10:00")
    assert appointment.pk in {row[0] for row in _from_memory()}
    # when: the calendar is emptied and started again, as a test flush or a restore does,
    # and the new clock reaches the same revision with other data
    revision = CalendarClock.objects.get(key=CalendarClock.APPOINTMENTS).revision
    Appointment.objects.all().delete()
    CalendarClock.objects.all().delete()
    CalendarChange.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO scheduling_calendarclock (key, revision, epoch) VALUES (%s, %s, 7)",
            [CalendarClock.APPOINTMENTS, revision],
        )
    # then: the different epoch makes the cache reload rather than trust its revision
    assert _from_memory() == _from_database() == set()


def test_reads_inside_a_transaction_see_its_own_uncommitted_booking(demo, client_named):
    # given
    treatment = Treatment.objects.get(code="face-revitalise")
    outside = selectors.availability_for(treatment=treatment, **WINDOW)
    # when: inside a transaction that books and then searches
    with transaction.atomic():
        _book(client_named, "2027-03-16", "10:00")
        inside = selectors.availability_for(treatment=treatment, **WINDOW)
        transaction.set_rollback(True)
    # then: the search saw the booking; after the rollback memory still has none of it
    assert len(inside) < len(outside)
    assert selectors.availability_for(treatment=treatment, **WINDOW) == outside


def test_memory_of_past_days_is_dropped_after_a_few_days(demo, client_named, monkeypatch):
    # given: memory filled on 1 February, holding a booking on 2 March
    appointment = _book(client_named, "2027-03-02", "10:00")
    assert appointment.pk in {row[0] for row in _from_memory()}
    kept_from = busy.busy_cache()._snapshot.first
    # when: a week later the cache is asked again
    later = fixed_now_plus(days=7)
    monkeypatch.setattr("mesoclinic.core.clock.now", lambda: later)
    rows = busy.busy_cache().starting_between(FIRST, LAST)
    # then: it started again from three days before the new "now", with the same rows
    assert busy.busy_cache()._snapshot.first > kept_from
    assert rows is not None
    assert _rows(rows) == _from_database()


def fixed_now_plus(*, days: int) -> dt.datetime:
    from .conftest import NOW

    return NOW + dt.timedelta(days=days)


def test_a_bulk_change_larger_than_the_log_read_reloads_memory(demo, client_named, monkeypatch):
    # given: memory filled, then more appointments change than a catch-up reads
    first = _book(client_named, "2027-03-17", "10:00")
    second = _book(client_named, "2027-03-17", "11:00")
    _from_memory()
    monkeypatch.setattr(busy, "MAX_CHANGES_READ", 1)
    reloads: list[tuple[int, int]] = []
    reload = busy._fetch_starting
    monkeypatch.setattr(
        busy, "_fetch_starting", lambda a, b: reloads.append((a, b)) or reload(a, b)
    )
    # when: both are cancelled in one bulk update
    Appointment.objects.filter(pk__in=[first.pk, second.pk]).update(status="cancelled")
    # then: memory was reloaded (not caught up), and agrees with the database
    remembered = _from_memory()
    assert len(reloads) == 1
    assert remembered == _from_database()
    assert not {first.pk, second.pk} & {row[0] for row in remembered}


def test_a_restarted_clock_makes_memory_reload(demo, client_named):
    # given: memory holding a booking
    booked = _book(client_named, "2027-03-16", "10:00")
    assert booked.pk in {row[0] for row in _from_memory()}
    # and: the booking cancelled behind the clock's back, as a load with the triggers
    # dropped would (the update's revision and log entry undone)
    stamp = revisions.read(CalendarClock.APPOINTMENTS)
    Appointment.objects.filter(pk=booked.pk).update(status="cancelled")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE scheduling_calendarclock SET revision = %s WHERE key = %s",
            [stamp.revision, CalendarClock.APPOINTMENTS],
        )
        cursor.execute(
            "DELETE FROM scheduling_calendarchange WHERE revision > %s", [stamp.revision]
        )
    assert booked.pk in {row[0] for row in _from_memory()}, "nothing told memory yet"
    # when
    revisions.restart(CalendarClock.APPOINTMENTS)
    # then
    remembered = _from_memory()
    assert remembered == _from_database()
    assert booked.pk not in {row[0] for row in remembered}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE is PostgreSQL's")
def test_truncating_the_appointments_empties_memory(demo, client_named):
    # given
    _book(client_named, "2027-03-17", "10:00")
    assert _from_memory()
    # when: TRUNCATE fires no row trigger; the statement trigger restarts the clock
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE scheduling_appointment CASCADE")
    # then
    assert _from_memory() == set() == _from_database()


def test_every_trigger_the_caches_and_overlap_guards_rely_on_exists_after_migrating(db):
    # A migration that rebuilds a table (SQLite copies it) would drop its triggers
    # silently: then the clocks stop and the caches go stale.
    revisions_migration = importlib.import_module(
        "mesoclinic.scheduling.migrations.0004_calendar_revisions"
    )

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            names = {row[0] for row in cursor.fetchall()}
            expected = {f"appointment_calendar_{event}" for event in ("insert", "update", "delete")}
            expected |= {
                f"{table}_resources_{event}"
                for table in revisions_migration.RESOURCE_TABLES
                for event in ("insert", "update", "delete")
            }
            # the overlap guards of 0003 and 0007 (the client's, issue 12)
            expected |= {
                f"appointment_no_{guard}_overlap_{event}"
                for guard in ("practitioner", "room", "device", "client")
                for event in ("insert", "update")
            }
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
            names = {row[0] for row in cursor.fetchall()}
            expected = {"appointment_calendar_change", "appointment_calendar_restart"} | {
                f"{table}_resources" for table in revisions_migration.RESOURCE_TABLES
            }
            # PostgreSQL guards overlaps with exclusion constraints (0002 and 0007)
            cursor.execute(
                "SELECT conname FROM pg_constraint WHERE contype = 'x' "
                "AND conrelid = 'scheduling_appointment'::regclass"
            )
            names |= {row[0] for row in cursor.fetchall()}
            expected |= {
                f"appointment_no_{guard}_overlap"
                for guard in ("practitioner", "room", "device", "client")
            }
    assert expected <= names


def test_the_restart_command_makes_memory_reload_both_caches(demo, client_named):
    # given: both clocks read, and memory filled
    _from_memory()
    before = {
        key: revisions.read(key) for key in (CalendarClock.APPOINTMENTS, CalendarClock.RESOURCES)
    }
    # when
    output = io.StringIO()
    call_command("restart_calendar_clocks", stdout=output)
    # then: each clock has a new epoch (so every process reloads), and it is audited
    for key, stamp in before.items():
        assert revisions.read(key).epoch != stamp.epoch
    assert "Restarted" in output.getvalue()
    assert AuditEntry.objects.filter(action="calendar.clocks_restarted").count() == 1
    assert _from_memory() == _from_database()


def test_memory_folds_many_changes_into_its_base_and_still_agrees(demo, client_named, monkeypatch):
    # given: memory filled, folding after every second changed appointment
    monkeypatch.setattr(busy, "FOLD_AFTER", 2)
    _from_memory()
    # when: bookings, a move and a cancellation, read after each
    booked = [_book(client_named, "2027-03-22", time) for time in ("09:00", "11:00", "14:00")]
    for _ in booked:
        assert _from_memory() == _from_database()
    services.appointment_reschedule(
        actor=None, appointment=booked[0], start=london("2027-03-23", "10:00")
    )
    services.appointment_cancel(actor=None, appointment=booked[1])
    # then: the overlay was merged into the base, which is in start order, and agrees
    remembered = _from_memory()
    snapshot = busy.busy_cache()._snapshot
    assert len(snapshot.changed) <= 2
    assert (snapshot.base.starts[:-1] <= snapshot.base.starts[1:]).all()
    assert remembered == _from_database()
    assert booked[1].pk not in {row[0] for row in remembered}


def test_a_longer_span_after_a_move_beyond_the_old_one_holds_the_moved_booking(demo, client_named):
    # given: memory of March, and a March booking moved into April (outside that span)
    moved = _book(client_named, "2027-03-24", "10:00")
    _from_memory()
    services.appointment_reschedule(
        actor=None, appointment=moved, start=london("2027-04-12", "10:00")
    )
    assert moved.pk not in {row[0] for row in _from_memory()}
    # when: a search reaches into April, extending what memory keeps
    april = busy.minutes_of(london("2027-05-01", "00:00"))
    rows = busy.busy_cache().starting_between(FIRST, april)
    # then: the booking is there once, at its new time, as in the database
    assert rows is not None
    assert _rows(rows) == _rows(busy._fetch_starting(FIRST, april))
    assert [row[5] for row in _rows(rows) if row[0] == moved.pk] == [
        busy.minutes_of(london("2027-04-12", "10:00"))
    ]
