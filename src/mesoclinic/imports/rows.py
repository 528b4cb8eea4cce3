"""One row of an import file: what it would create, or why it is a duplicate or refused.

Each row runs in its own transaction through the owning app's service (``client_create``,
the booking service ``appointment_book`` with its conflict checks, and here the imported
history entry), with its key written to the ledger in the same transaction: a row is
imported whole or not at all. In a dry run the transaction is rolled back after the row.
Rows of one file also meet each other in memory (the same id twice, the same person twice,
two appointments of one practitioner or client at once), because a rolled-back dry-run row
leaves nothing in the database for the next row to find.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.db import IntegrityError, transaction

from mesoclinic.catalogue.models import Treatment
from mesoclinic.core import clock
from mesoclinic.core.audit import Actor, audit_record
from mesoclinic.core.errors import DomainError
from mesoclinic.imports import parsing
from mesoclinic.imports.errors import ImportErrorCode as Code
from mesoclinic.imports.fields import Kind
from mesoclinic.imports.models import ImportedHistory, ImportedKey, ImportRun
from mesoclinic.people import services as people_services
from mesoclinic.people.models import Client, Practitioner, Site
from mesoclinic.scheduling.services import appointment_book

MAX_LENGTHS = {
    "given_name": 100,
    "family_name": 100,
    "email": 254,
    "phone": 40,
    "practitioner": 200,
    "product": 500,
    "notes": 10_000,
    "external_id": 150,
    "client_external_id": 150,
}


class Outcome(StrEnum):
    CREATE = "create"  # the dry run would create it
    CREATED = "created"  # the import created it
    DUPLICATE = "duplicate"  # already there: nothing created
    REJECTED = "rejected"  # refused, with the reason


@dataclass(frozen=True, slots=True)
class RowResult:
    line: int
    outcome: Outcome
    code: str = ""
    message: str = ""
    client: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "outcome": str(self.outcome),
            "code": self.code,
            "message": self.message,
            "client": self.client,
        }


class _Refused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class _RolledBack(Exception):
    """Raised inside a dry-run row's transaction to undo it, carrying the row's result."""

    def __init__(self, result: RowResult) -> None:
        super().__init__("dry run")
        self.result = result


def _folded(text: str) -> str:
    return " ".join(text.split()).casefold()


@dataclass
class RowContext:
    """What every row of one run needs: the run, whether it is a dry run, the clinic's
    treatments, practitioners and sites by every name they may go by, existing clients by
    name and birth date and by email, and what earlier rows of the file did."""

    run: ImportRun
    actor: Actor
    dry_run: bool
    kind: Kind
    treatments: dict[str, Treatment]
    practitioners: dict[str, Practitioner]
    sites: dict[str, Site]
    default_site: Site | None
    clients_by_identity: dict[tuple[str, str, dt.date], int]
    clients_by_email: dict[str, int]
    seen_keys: dict[str, int] = field(default_factory=dict)
    seen_people: dict[tuple[str, str, dt.date] | str, int] = field(default_factory=dict)
    booked: dict[tuple[str, int], list[tuple[dt.datetime, dt.datetime, int]]] = field(
        default_factory=lambda: defaultdict(list)
    )

    @classmethod
    def for_run(cls, run: ImportRun, *, dry_run: bool) -> RowContext:
        treatments: dict[str, Treatment] = {}
        for treatment in Treatment.objects.all():
            treatments.setdefault(_folded(treatment.name), treatment)
            treatments[_folded(treatment.code)] = treatment
        practitioners: dict[str, Practitioner] = {}
        for practitioner in Practitioner.objects.filter(active=True):
            full = f"{practitioner.given_name} {practitioner.family_name}"
            for name in (
                full,
                f"{practitioner.title} {full}",
                practitioner.display_name,
                practitioner.code,
            ):
                practitioners.setdefault(_folded(name), practitioner)
        sites: dict[str, Site] = {}
        for site in Site.objects.order_by("pk"):
            sites.setdefault(_folded(site.name), site)
            sites[_folded(site.code)] = site
        by_identity: dict[tuple[str, str, dt.date], int] = {}
        by_email: dict[str, int] = {}
        rows = Client.objects.order_by("pk").values_list(
            "pk", "given_name", "family_name", "birth_date", "email"
        )
        for pk, given, family, birth_date, email in rows:
            by_identity.setdefault((_folded(given), _folded(family), birth_date), pk)
            if email:
                by_email.setdefault(_folded(email), pk)
        return cls(
            run=run,
            actor=run.created_by,
            dry_run=dry_run,
            kind=Kind(run.kind),
            treatments=treatments,
            practitioners=practitioners,
            sites=sites,
            default_site=Site.objects.order_by("pk").first(),
            clients_by_identity=by_identity,
            clients_by_email=by_email,
        )


def process_row(context: RowContext, *, line: int, values: dict[str, str]) -> RowResult:
    """Check, and unless this is a dry run import, one row; never raises for a bad row."""
    try:
        _check_lengths(values)
        key = values.get("external_id") or "row:" + parsing.row_key(values)
        earlier = context.seen_keys.get(key)
        if earlier is not None:
            return RowResult(
                line,
                Outcome.DUPLICATE,
                Code.DUPLICATE_IN_FILE,
                f"Line {earlier} of this file has the same id ({key[:40]}).",
            )
        context.seen_keys[key] = line
        done = (
            ImportedKey.objects.filter(source=context.run.source, kind=context.kind, key=key)
            .values_list("client_id", flat=True)
            .first()
        )
        if done is not None:
            return RowResult(
                line,
                Outcome.DUPLICATE,
                Code.ALREADY_IMPORTED,
                "Imported before (the same id from the same system).",
                client=done,
            )
        handler = _HANDLERS[context.kind]
        return _in_transaction(context, lambda: handler(context, line, key, values))
    except _Refused as refused:
        return RowResult(line, Outcome.REJECTED, refused.code, refused.message)
    except DomainError as refused:
        return RowResult(line, Outcome.REJECTED, refused.code, refused.message)
    except IntegrityError:
        # Another run imported the same key meanwhile; the row's transaction rolled back.
        return RowResult(
            line, Outcome.DUPLICATE, Code.ALREADY_IMPORTED, "Imported meanwhile by another run."
        )


def _in_transaction(context: RowContext, work: Any) -> RowResult:
    try:
        with transaction.atomic():
            result: RowResult = work()
            if context.dry_run and result.outcome == Outcome.CREATE:
                raise _RolledBack(result)
    except _RolledBack as undone:
        return undone.result
    return result


def _check_lengths(values: dict[str, str]) -> None:
    for name, limit in MAX_LENGTHS.items():
        if len(values.get(name, "")) > limit:
            raise _Refused(
                Code.TEXT_TOO_LONG, f"The {name.replace('_', ' ')} is over {limit} characters."
            )


def _required(values: dict[str, str], name: str, label: str) -> str:
    value = values.get(name, "")
    if not value:
        raise _Refused(Code.MISSING_VALUE, f"The {label} is missing.")
    return value


def _date(text: str) -> dt.date:
    try:
        return parsing.parse_date(text)
    except ValueError as error:
        raise _Refused(Code.BAD_DATE, str(error)) from None


def _created(context: RowContext, line: int, message: str, client: int | None) -> RowResult:
    outcome = Outcome.CREATE if context.dry_run else Outcome.CREATED
    return RowResult(line, outcome, "", message, client=client)


def _ledger(context: RowContext, key: str, **links: Any) -> None:
    ImportedKey.objects.create(
        source=context.run.source,
        kind=context.kind,
        key=key,
        run=context.run,
        created_at=clock.now(),
        **links,
    )


# --- Clients ----------------------------------------------------------------------------


def _client_row(context: RowContext, line: int, key: str, values: dict[str, str]) -> RowResult:
    given = _required(values, "given_name", "first name")
    family = _required(values, "family_name", "last name")
    birth_date = _date(_required(values, "birth_date", "date of birth"))
    email = values.get("email", "")
    identity = (_folded(given), _folded(family), birth_date)
    for found, how in (
        (context.seen_people.get(identity), "name and date of birth"),
        (context.seen_people.get(_folded(email)) if email else None, "email"),
    ):
        if found is not None:
            return RowResult(
                line,
                Outcome.DUPLICATE,
                Code.DUPLICATE_IN_FILE,
                f"Line {found} of this file is the same person ({how}).",
            )
    existing = context.clients_by_identity.get(identity)
    how = "name and date of birth"
    if existing is None and email:
        existing, how = context.clients_by_email.get(_folded(email)), "email"
    context.seen_people[identity] = line
    if email:
        context.seen_people[_folded(email)] = line
    if existing is not None:
        if not context.dry_run:
            _ledger(context, key, client_id=existing)
            audit_record(
                actor=context.actor,
                action="import.client_matched",
                obj=context.run,
                client_id=existing,
                summary=f"{context.run.source} client {key[:60]} is client {existing}",
            )
        return RowResult(
            line,
            Outcome.DUPLICATE,
            Code.EXISTING_CLIENT,
            f"Client {existing} has the same {how}; not created again.",
            client=existing,
        )
    client = people_services.client_create(
        actor=context.actor,
        given_name=given,
        family_name=family,
        birth_date=birth_date,
        email=email,
        phone=values.get("phone", ""),
    )
    _ledger(context, key, client=client)
    if not context.dry_run:
        context.clients_by_identity[identity] = client.pk
        if client.email:
            context.clients_by_email[_folded(client.email)] = client.pk
    return _created(context, line, f"Client {client.full_name}", client.pk)


# --- Rows that name a client --------------------------------------------------------------


def _client_of(context: RowContext, values: dict[str, str]) -> Client:
    """The client a row names: by their id in the old system (through the ledger of its
    clients import), else by name and date of birth, else by email."""
    client_id: int | None = None
    external = values.get("client_external_id", "")
    if external:
        client_id = (
            ImportedKey.objects.filter(source=context.run.source, kind=Kind.CLIENTS, key=external)
            .values_list("client_id", flat=True)
            .first()
        )
    if (
        client_id is None
        and values.get("given_name")
        and values.get("family_name")
        and values.get("birth_date")
    ):
        identity = (
            _folded(values["given_name"]),
            _folded(values["family_name"]),
            _date(values["birth_date"]),
        )
        client_id = context.clients_by_identity.get(identity)
    if client_id is None and values.get("email"):
        client_id = context.clients_by_email.get(_folded(values["email"]))
    if client_id is None:
        named = external or " ".join(
            part for part in (values.get("given_name"), values.get("family_name")) if part
        )
        raise _Refused(
            Code.UNKNOWN_CLIENT,
            f"No client matches {named or values.get('email', 'this row')!r}: import the "
            "clients file first.",
        )
    client = Client.objects.filter(pk=client_id).first()
    if client is None:
        raise _Refused(Code.UNKNOWN_CLIENT, "The client this row names was deleted.")
    return client


def _treatment_of(context: RowContext, values: dict[str, str]) -> Treatment:
    name = _required(values, "treatment", "treatment")
    treatment = context.treatments.get(_folded(name))
    if treatment is None:
        raise _Refused(
            Code.UNKNOWN_TREATMENT,
            f"No treatment is called {name!r}: add it, or rename it in the file to one of "
            "the clinic's treatments.",
        )
    return treatment


# --- Appointments -------------------------------------------------------------------------


def _appointment_row(context: RowContext, line: int, key: str, values: dict[str, str]) -> RowResult:
    client = _client_of(context, values)
    treatment = _treatment_of(context, values)
    practitioner = None
    if values.get("practitioner"):
        practitioner = context.practitioners.get(_folded(values["practitioner"]))
        if practitioner is None:
            raise _Refused(
                Code.UNKNOWN_PRACTITIONER,
                f"No practitioner is called {values['practitioner']!r}.",
            )
    site = None
    if values.get("site"):
        site = context.sites.get(_folded(values["site"]))
        if site is None:
            raise _Refused(Code.UNKNOWN_SITE, f"No site is called {values['site']!r}.")
    local_site = site or client.home_site or context.default_site
    assert local_site is not None
    start_text = _required(values, "start", "start")
    try:
        day, at = parsing.parse_local_start(
            start_text, values.get("start_time") if "start_time" in values else None
        )
    except ValueError as error:
        raise _Refused(Code.BAD_DATE, str(error)) from None
    start = dt.datetime.combine(day, at, tzinfo=local_site.tzinfo)
    if start < clock.now():
        raise _Refused(
            Code.APPOINTMENT_IN_PAST,
            f"{start_text} has passed: an appointments file holds future appointments "
            "(import past ones as treatment history).",
        )
    appointment = appointment_book(
        actor=context.actor,
        client=client,
        treatment=treatment,
        start=start,
        practitioner=practitioner,
        site=site,
        notes=f"Imported from {context.run.source}.",
        notify=False,
    )
    if context.dry_run:
        _check_earlier_rows(context, line, appointment)
    _ledger(context, key, client=client, appointment=appointment)
    return _created(
        context,
        line,
        f"{treatment.name} for {client.full_name} at "
        f"{start:%d/%m/%Y %H:%M} with {appointment.practitioner.display_name}",
        client.pk,
    )


def _check_earlier_rows(context: RowContext, line: int, appointment: Any) -> None:
    """A dry run's rows are rolled back, so the booking service cannot see the file's
    earlier rows: compare with them here (the practitioner's and the client's time)."""
    spans = (
        (("practitioner", appointment.practitioner_id), appointment.start, appointment.busy_until),
        (("client", appointment.client_id), appointment.start, appointment.end),
    )
    for owner, start, end in spans:
        for other_start, other_end, other_line in context.booked[owner]:
            if start < other_end and other_start < end:
                raise _Refused(
                    Code.OVERLAPS_ROW,
                    f"Overlaps line {other_line} of this file (the same {owner[0]}, "
                    f"{other_start.astimezone(appointment.site.tzinfo):%d/%m/%Y %H:%M}).",
                )
    for owner, start, end in spans:
        context.booked[owner].append((start, end, line))


# --- Treatment history --------------------------------------------------------------------


def _history_row(context: RowContext, line: int, key: str, values: dict[str, str]) -> RowResult:
    client = _client_of(context, values)
    treated_on = _date(_required(values, "date", "date treated"))
    if treated_on > clock.today():
        raise _Refused(
            Code.HISTORY_IN_FUTURE,
            f"{values['date']} is in the future: treatment history holds past treatments.",
        )
    treatment = _treatment_of(context, values)
    entry = ImportedHistory.objects.create(
        client=client,
        treated_on=treated_on,
        treatment=treatment,
        practitioner_name=values.get("practitioner", ""),
        notes=values.get("notes", ""),
        product=values.get("product", ""),
        source=context.run.source,
        run=context.run,
        imported_at=clock.now(),
    )
    audit_record(
        actor=context.actor,
        action="import.history",
        obj=entry,
        client_id=client.pk,
        summary=f"Imported {treatment.code} on {treated_on} from {context.run.source}",
    )
    _ledger(context, key, client=client, history=entry)
    return _created(
        context,
        line,
        f"{treatment.name} on {treated_on:%d/%m/%Y} for {client.full_name}",
        client.pk,
    )


_HANDLERS = {
    Kind.CLIENTS: _client_row,
    Kind.APPOINTMENTS: _appointment_row,
    Kind.HISTORY: _history_row,
}
