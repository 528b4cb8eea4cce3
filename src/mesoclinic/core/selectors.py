"""Reads of the audit trail for the administrators' audit page."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from django.db.models import QuerySet

from mesoclinic.core.audit import Actor, audit_record
from mesoclinic.core.models import AuditEntry


@dataclass(frozen=True)
class AuditFilter:
    """What the audit page asks for; every part is optional. Dates are local days
    (``since`` and ``until`` both included)."""

    since: dt.date | None = None
    until: dt.date | None = None
    username: str = ""
    client_id: int | None = None
    action: str = ""


def audit_entries(filters: AuditFilter, *, tz: dt.tzinfo) -> QuerySet[AuditEntry]:
    """Entries matching ``filters``, newest first; days are taken in the time zone ``tz``."""
    entries = AuditEntry.objects.all()
    if filters.since is not None:
        entries = entries.filter(at__gte=_local_midnight(filters.since, tz))
    if filters.until is not None:
        entries = entries.filter(at__lt=_local_midnight(filters.until + dt.timedelta(days=1), tz))
    if filters.username:
        entries = entries.filter(actor_label__iexact=filters.username)
    if filters.client_id is not None:
        entries = entries.filter(client_id=filters.client_id)
    if filters.action:
        entries = entries.filter(action=filters.action)
    return entries.order_by("-at", "-id")


def audit_log_view(*, actor: Actor, filters: AuditFilter, tz: dt.tzinfo) -> QuerySet[AuditEntry]:
    """:func:`audit_entries` for the audit page, and an ``audit.view`` entry saying who
    searched the trail for what: looking at the audit trail is audited too."""
    asked = {key: str(value) for key, value in asdict(filters).items() if value not in (None, "")}
    audit_record(
        actor=actor,
        action="audit.view",
        client_id=filters.client_id,
        summary="Audit trail searched" + (f": {asked}" if asked else ""),
        data=asked,
    )
    return audit_entries(filters, tz=tz)


def audit_actions() -> list[str]:
    """Every action that appears in the trail, alphabetically (for the filter)."""
    return list(AuditEntry.objects.order_by("action").values_list("action", flat=True).distinct())


def _local_midnight(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tz)
