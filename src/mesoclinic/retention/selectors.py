"""Reads for retention: each client's history (the dates retention runs from), the report
of files due for disposal, the plan an erasure would carry out, and the requests waiting.

Dates are the clinic's local days. The report reads every client with one grouped query per
kind of record, so it stays a handful of queries however many clients the clinic has.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Max, Model, QuerySet
from django.utils import timezone

from mesoclinic.billing.models import (
    AccountEntry,
    CoursePackage,
    GiftVoucher,
    OnlinePayment,
    Payment,
    Quote,
)
from mesoclinic.core import clock
from mesoclinic.messaging.models import Message
from mesoclinic.people.models import Client
from mesoclinic.records.models import AdverseEvent, Assessment, TreatmentRecord
from mesoclinic.retention.models import ErasureRequest, ErasureStatus
from mesoclinic.retention.policy import retention_policy
from mesoclinic.retention.rules import (
    ClientHistory,
    ErasurePlan,
    RecordType,
    RetentionPolicy,
    disposal_date,
    disposal_dates,
    erasure_plan,
)
from mesoclinic.safety.models import (
    HealthQuestionnaire,
    Override,
    Prescription,
    SignedConsent,
    ToxinAdministration,
)
from mesoclinic.scheduling.models import Appointment, AppointmentStatus


@dataclass(frozen=True, slots=True)
class Source:
    """Where one kind of dated record lives: model, path to its client, date field."""

    model: type[Model]
    client_path: str
    field: str


SOURCES: dict[RecordType, tuple[Source, ...]] = {
    RecordType.CLINICAL: (
        Source(TreatmentRecord, "client", "performed_at"),
        Source(HealthQuestionnaire, "client", "answered_at"),
        Source(SignedConsent, "client", "signed_at"),
        Source(Prescription, "client", "consultation_at"),
        Source(Override, "client", "created_at"),
        Source(ToxinAdministration, "client", "administered_on"),
        Source(Assessment, "client", "assessed_at"),
        Source(AdverseEvent, "client", "reported_at"),
    ),
    RecordType.FINANCIAL: (
        Source(Payment, "appointment__client", "recorded_at"),
        Source(OnlinePayment, "appointment__client", "created_at"),
        Source(AccountEntry, "client", "at"),
        Source(CoursePackage, "client", "sold_at"),
        Source(GiftVoucher, "client", "issued_at"),
    ),
    RecordType.CONTACT: (
        Source(Appointment, "client", "start"),
        Source(Message, "client", "created_at"),
        Source(Quote, "client", "created_at"),
    ),
}


def _local_day(value: dt.date | dt.datetime) -> dt.date:
    return timezone.localdate(value) if isinstance(value, dt.datetime) else value


def _latest_by_client(source: Source, client_ids: Iterable[int] | None) -> dict[int, dt.date]:
    rows: QuerySet[Any] = source.model._default_manager.all()
    if client_ids is not None:
        rows = rows.filter(**{f"{source.client_path}__in": list(client_ids)})
    grouped = (
        rows.exclude(**{source.client_path: None})
        .order_by()
        .values(source.client_path)
        .annotate(latest=Max(source.field))
    )
    return {row[source.client_path]: _local_day(row["latest"]) for row in grouped}


def _latest(record_type: RecordType, client_ids: Iterable[int] | None) -> dict[int, dt.date]:
    ids = list(client_ids) if client_ids is not None else None
    latest: dict[int, dt.date] = {}
    for source in SOURCES[record_type]:
        for client_id, day in _latest_by_client(source, ids).items():
            latest[client_id] = max(day, latest.get(client_id, day))
    return latest


def client_histories(clients: Iterable[Client]) -> dict[int, ClientHistory]:
    """Each of ``clients``' :class:`ClientHistory`, by client id."""
    clients = list(clients)
    ids = [client.pk for client in clients]
    return _histories(clients, ids)


def _histories(clients: list[Client], ids: list[int] | None) -> dict[int, ClientHistory]:
    clinical = _latest(RecordType.CLINICAL, ids)
    financial = _latest(RecordType.FINANCIAL, ids)
    contact = _latest(RecordType.CONTACT, ids)
    histories = {}
    for client in clients:
        created = timezone.localdate(client.created_at)
        last_clinical = clinical.get(client.pk)
        last_financial = financial.get(client.pk)
        last_contact = max(
            day
            for day in (created, contact.get(client.pk), last_clinical, last_financial)
            if day is not None
        )
        histories[client.pk] = ClientHistory(
            birth_date=client.birth_date,
            last_contact=last_contact,
            last_clinical=last_clinical,
            last_financial=last_financial,
        )
    return histories


def client_history(client: Client) -> ClientHistory:
    """The dates ``client``'s retention runs from."""
    return client_histories([client])[client.pk]


@dataclass(frozen=True, slots=True)
class DueFile:
    """A client's file due for disposal: who, and when each period ended."""

    client: Client
    history: ClientHistory
    due_on: dt.date
    dates: dict[RecordType, dt.date | None]


def disposal_due(*, on: dt.date, policy: RetentionPolicy | None = None) -> list[DueFile]:
    """Every client whose whole file is due for disposal on ``on`` (every retention period
    over), longest overdue first. The report shows no clinical content, only dates."""
    policy = policy or retention_policy()
    clients = list(Client.objects.order_by("pk"))
    histories = _histories(clients, None)
    due = []
    for client in clients:
        history = histories[client.pk]
        day = disposal_date(policy, history)
        if day <= on:
            due.append(DueFile(client, history, day, disposal_dates(policy, history)))
    return sorted(due, key=lambda file: (file.due_on, file.client.pk))


def upcoming_appointment_count(client: Client) -> int:
    """The client's booked appointments still to come (erasure waits for them)."""
    return Appointment.objects.filter(
        client=client, status=AppointmentStatus.BOOKED, start__gte=clock.now()
    ).count()


def client_erasure_plan(
    client: Client, *, on: dt.date | None = None, policy: RetentionPolicy | None = None
) -> ErasurePlan:
    """What honouring an erasure request for ``client`` on ``on`` (today) would do."""
    return erasure_plan(
        policy or retention_policy(),
        client_history(client),
        on=on or clock.today(),
        upcoming_appointments=upcoming_appointment_count(client),
    )


def erasure_requests_pending() -> QuerySet[ErasureRequest]:
    """Requests waiting for an administrator's decision, oldest first."""
    return ErasureRequest.objects.filter(status=ErasureStatus.PENDING).select_related("client")


def erasure_requests_decided(limit: int = 20) -> list[ErasureRequest]:
    """The latest decided requests, newest first."""
    decided = ErasureRequest.objects.exclude(status=ErasureStatus.PENDING)
    return list(decided.order_by("-decided_at", "-id")[:limit])


def erasure_request_get(request_id: int) -> ErasureRequest | None:
    """One erasure request, or ``None``."""
    return ErasureRequest.objects.select_related("client").filter(pk=request_id).first()


def erasure_request_pending_for(client: Client) -> ErasureRequest | None:
    """The client's request waiting for a decision, if any."""
    return ErasureRequest.objects.filter(client=client, status=ErasureStatus.PENDING).first()
