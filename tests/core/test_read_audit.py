"""Read-audit entries in batches (core.read_audit): a read's entry waits for the next flush
and is then there with everything it recorded; stopping flushes; a read inside a
transaction and every write's entry are written at once, in the transaction."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction

from mesoclinic.core import read_audit
from mesoclinic.core.audit import audit_read, audit_record
from mesoclinic.core.models import AuditEntry


@pytest.fixture
def batching():
    """Batching on, with an interval long enough that only explicit flushes write."""
    buffer = read_audit.start_batching(interval=3600)
    yield buffer
    read_audit.stop_batching()


def _count(action: str) -> int:
    return AuditEntry.objects.filter(action=action).count()


def _failing_transaction(work) -> None:
    """Run ``work`` in a transaction that then fails (and so rolls back)."""
    with transaction.atomic():
        work()
        raise RuntimeError("the surrounding change fails")


def test_without_batching_a_read_is_written_at_once(db):
    entry = audit_read(actor=None, action="test.read_now", summary="at once")
    assert entry.pk is not None
    assert AuditEntry.objects.get(pk=entry.pk).summary == "at once"


@pytest.mark.django_db(transaction=True)
def test_a_batched_read_is_written_by_the_next_flush_with_what_it_recorded(batching):
    # given: a staff user reading outside any transaction
    user = get_user_model().objects.create_user(username="reader", password="x")
    # when: the read is audited
    entry = audit_read(
        actor=user, action="test.read_batched", client_id=42, summary="s", data={"k": 1}
    )
    # then: nothing is committed yet; the flush writes it, once
    assert entry.pk is None
    assert _count("test.read_batched") == 0
    assert batching.pending() == 1
    assert batching.flush() == 1
    stored = AuditEntry.objects.get(action="test.read_batched")
    assert (stored.actor_id, stored.actor_label, stored.client_id) == (user.pk, "reader", 42)
    assert (stored.summary, stored.data, stored.at) == ("s", {"k": 1}, entry.at)
    assert batching.pending() == 0
    assert batching.flush() == 0
    assert _count("test.read_batched") == 1


@pytest.mark.django_db(transaction=True)
def test_many_reads_are_one_flush_in_their_order(batching):
    for number in range(5):
        audit_read(actor=None, action="test.read_many", summary=str(number))
    assert batching.flush() == 5
    stored = AuditEntry.objects.filter(action="test.read_many").order_by("id")
    assert [entry.summary for entry in stored] == ["0", "1", "2", "3", "4"]


@pytest.mark.django_db(transaction=True)
def test_stopping_batching_writes_what_waits():
    read_audit.start_batching(interval=3600)
    audit_read(actor=None, action="test.read_stop")
    assert _count("test.read_stop") == 0
    read_audit.stop_batching()
    assert _count("test.read_stop") == 1
    assert read_audit.active_buffer() is None


@pytest.mark.django_db(transaction=True)
def test_the_background_thread_flushes_within_its_interval():
    read_audit.start_batching(interval=0.05)
    try:
        audit_read(actor=None, action="test.read_thread")
        import time

        deadline = time.monotonic() + 5
        while _count("test.read_thread") == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert _count("test.read_thread") == 1
    finally:
        read_audit.stop_batching()


@pytest.mark.django_db(transaction=True)
def test_a_failed_flush_keeps_the_entries_for_the_next(batching, monkeypatch):
    audit_read(actor=None, action="test.read_retry")
    original = AuditEntry.objects.bulk_create

    def failing(*args, **kwargs):
        raise RuntimeError("database away")

    monkeypatch.setattr(AuditEntry.objects, "bulk_create", failing)
    assert batching.flush() == 0
    assert batching.pending() == 1
    monkeypatch.setattr(AuditEntry.objects, "bulk_create", original)
    assert batching.flush() == 1
    assert _count("test.read_retry") == 1


@pytest.mark.django_db(transaction=True)
def test_a_read_inside_a_transaction_joins_it(batching):
    with transaction.atomic():
        entry = audit_read(actor=None, action="test.read_in_tx")
        assert entry.pk is not None  # written now, in this transaction
    assert batching.pending() == 0
    with pytest.raises(RuntimeError):
        _failing_transaction(lambda: audit_read(actor=None, action="test.read_rolled_back"))
    assert _count("test.read_in_tx") == 1
    assert _count("test.read_rolled_back") == 0


@pytest.mark.django_db(transaction=True)
def test_a_writes_entry_is_never_batched_and_stays_atomic_with_the_write(batching):
    # a write's entry is written at once, with the write
    with transaction.atomic():
        get_user_model().objects.create_user(username="written", password="x")
        audit_record(actor=None, action="test.write_kept")
    assert _count("test.write_kept") == 1

    # and a failed write leaves neither the change nor its entry
    def write() -> None:
        get_user_model().objects.create_user(username="not-written", password="x")
        audit_record(actor=None, action="test.write_undone")

    with pytest.raises(RuntimeError):
        _failing_transaction(write)
    assert _count("test.write_undone") == 0
    assert not get_user_model().objects.filter(username="not-written").exists()
    assert batching.pending() == 0
