"""The audit table is append-only in the database itself (both SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.color import no_style
from django.core.management.sql import sql_flush
from django.db import IntegrityError, connection, transaction

from mesoclinic.core.audit import audit_record
from mesoclinic.core.audit_guard import audit_erasure_allowed
from mesoclinic.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def _run_sql(*statements: str, params=None) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement, params)


def _erase_then_fail(pk: int) -> None:
    with audit_erasure_allowed(reason="retention purge"):
        AuditEntry.objects.filter(pk=pk).delete()
        raise RuntimeError("stopped")


@pytest.fixture
def entry():
    return audit_record(actor=None, action="test.append_only", summary="original")


def test_updating_an_entry_through_the_orm_is_refused(entry):
    # when / then
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(summary="changed")
    assert AuditEntry.objects.get(pk=entry.pk).summary == "original"


def test_updating_an_entry_in_sql_is_refused(entry):
    with pytest.raises(IntegrityError, match="append-only"):
        _run_sql("UPDATE core_auditentry SET action = 'forged' WHERE id = %s", params=[entry.pk])
    assert AuditEntry.objects.get(pk=entry.pk).action == "test.append_only"


def test_deleting_an_entry_is_refused(entry):
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_deleting_every_entry_in_sql_is_refused(entry):
    with pytest.raises(IntegrityError, match="append-only"):
        _run_sql("DELETE FROM core_auditentry")
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE is PostgreSQL's")
def test_truncating_the_table_is_refused(entry):
    # the entry's deferred foreign-key check would otherwise block any TRUNCATE
    with pytest.raises(IntegrityError, match="append-only"):
        _run_sql("SET CONSTRAINTS ALL IMMEDIATE", "TRUNCATE core_auditentry")
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_the_erasure_path_may_delete_but_still_not_update(entry):
    # when: inside the maintenance path
    with audit_erasure_allowed(reason="retention purge"):
        deleted, _ = AuditEntry.objects.filter(pk=entry.pk).delete()
        other = audit_record(actor=None, action="test.append_only")
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
            AuditEntry.objects.filter(pk=other.pk).update(summary="changed")
    # then
    assert deleted == 1
    assert not AuditEntry.objects.filter(pk=entry.pk).exists()


def test_the_erasure_permission_ends_with_its_block(entry):
    # given: the permission was used and closed
    with audit_erasure_allowed(reason="retention purge"):
        pass
    # then: deletes are refused again, and no permission row is left behind
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM core_audit_erasure")
        assert cursor.fetchone() == (0,)


def test_a_failed_erasure_leaves_nothing_behind(entry):
    # when: the block fails after deleting
    with pytest.raises(RuntimeError):
        _erase_then_fail(entry.pk)
    # then: the delete was rolled back with the permission
    assert AuditEntry.objects.filter(pk=entry.pk).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM core_audit_erasure")
        assert cursor.fetchone() == (0,)


@pytest.mark.django_db(transaction=True)
def test_the_test_suites_flush_empties_the_audit_table():
    # given
    audit_record(actor=None, action="test.flush")
    # when: the flush a transactional or browser test runs afterwards
    call_command("flush", verbosity=0, interactive=False)
    # then
    assert AuditEntry.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_flush_outside_the_erasure_path_is_refused():
    # given
    audit_record(actor=None, action="test.flush")
    statements = sql_flush(no_style(), connection, allow_cascade=True)
    # when: Django's own flush statements, run as a production `manage flush` would
    with pytest.raises(IntegrityError, match="append-only"):
        _run_sql(*statements)
    # then
    assert AuditEntry.objects.filter(action="test.flush").count() == 1
