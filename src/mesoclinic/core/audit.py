"""Writing the audit trail. Every clinical write calls :func:`audit_record` (or
:func:`audit_record_many` for several entries of one action) inside its own transaction;
every clinical read calls :func:`audit_read`, which in the server is written in batches
(:mod:`mesoclinic.core.read_audit`: no commit and no fsync per read).

During a web request each entry also records the actor's role and the client's address
(:mod:`mesoclinic.core.audit_context`); outside one both stay empty. Entries are never
changed or deleted (:mod:`mesoclinic.core.audit_guard`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connection

from mesoclinic.core import clock
from mesoclinic.core.audit_context import current_origin
from mesoclinic.core.compiled import CompiledInsert
from mesoclinic.core.models import AuditEntry
from mesoclinic.core.read_audit import active_buffer

Actor = AbstractBaseUser | AnonymousUser | None


def audit_entry(
    *,
    actor: Actor,
    action: str,
    obj: Any = None,
    client_id: int | None = None,
    summary: str = "",
    data: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """One audit entry, not yet saved: who (``actor``), what (``action`` on ``obj``), when
    (now), and in a request the actor's role and the client's address."""
    user: Any = actor if isinstance(actor, AbstractBaseUser) else None
    origin = current_origin()
    return AuditEntry(
        at=clock.now(),
        actor=user,
        actor_label=user.get_username() if user else "system",
        role=origin.role_of(user) if origin is not None and user is not None else "",
        ip=origin.ip if origin is not None else None,
        action=action,
        object_type=type(obj).__name__.lower() if obj is not None else "",
        object_id=str(obj.pk) if obj is not None and getattr(obj, "pk", None) else "",
        client_id=client_id,
        summary=summary[:300],
        data=dict(data or {}),
    )


def audit_record(
    *,
    actor: Actor,
    action: str,
    obj: Any = None,
    client_id: int | None = None,
    summary: str = "",
    data: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Add one audit entry: who (``actor``), what (``action`` on ``obj``), when (now)."""
    entry = audit_entry(
        actor=actor, action=action, obj=obj, client_id=client_id, summary=summary, data=data
    )
    _INSERT_ENTRY.insert(entry)
    return entry


_INSERT_ENTRY = CompiledInsert(AuditEntry)


def audit_read(
    *,
    actor: Actor,
    action: str,
    obj: Any = None,
    client_id: int | None = None,
    summary: str = "",
    data: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Audit a read (nothing else is written): as :func:`audit_record`, except that in the
    server, outside a transaction, the entry joins the next batched write (within ~100 ms,
    or at the worker's clean exit) instead of committing on its own. Inside a transaction
    it is written at once, in that transaction. The returned entry has no ``pk`` until
    written."""
    entry = audit_entry(
        actor=actor, action=action, obj=obj, client_id=client_id, summary=summary, data=data
    )
    buffer = active_buffer()
    if buffer is None or connection.in_atomic_block:
        entry.save(force_insert=True)
    else:
        buffer.add(entry)
    return entry


def audit_record_many(entries: Sequence[AuditEntry]) -> list[AuditEntry]:
    """Add several entries made by :func:`audit_entry`, in order, with one ``INSERT``."""
    return AuditEntry.objects.bulk_create(entries)
