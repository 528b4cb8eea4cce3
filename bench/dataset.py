"""The seeded benchmark data set (benchmarks.md): one organisation and site, 20
practitioners, 10 rooms, 5 devices, 20,000 clients and 200,000 (or 2,000,000) existing
appointments with realistic exclusivity.

How the appointments are made.  Each open day (Mon–Sat 08:00–20:00, bank holidays
closed) is filled room by room: a heap yields the room that is free earliest, a treatment
is drawn from a clinic-like mix, a practitioner free at that time is drawn among those
qualified, a device of the right type is taken when the treatment needs one, and the
numbing lounge is checked cell by cell.  Practitioners and devices are only given a
booking that starts after everything they already hold has ended, rooms are filled in
time order and the lounge is counted exactly, so no practitioner, room or device is ever
double-booked and the lounge never over-fills: guaranteed by construction, then checked
in SQL after loading (``overlap_count``).  Gaps between bookings set the occupancy: about
78 % of room time for the past and the next two weeks, falling to 25 % a year ahead.

Ten rooms hold at most ~200 treatments a day, so 200,000 appointments cannot fit in two
years without overlaps: the history simply reaches back as far as it needs (about four
years for 200k, about fifty for 2M, which is what W5 — "cost must not grow with history"
— is about).  The future always covers one year from the day the data set is made.

Loading drops the appointment table's secondary indexes, overlap guards (SQLite
triggers / PostgreSQL exclusion constraints) and the calendar clock's triggers, inserts
with ``executemany`` (SQLite) or ``COPY`` (PostgreSQL), then recreates them exactly as the
database had them, which also re-validates every exclusion constraint on PostgreSQL. The
loaded rows are not in the calendar's change log, which needs none: a process's busy-time
cache reads the table itself when it starts.

Run ``python -m bench.dataset [--database sqlite|postgresql] [--size 200k|2m] [--force]``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import heapq
import json
import os
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from bench.env import SIZES, BenchTarget, setup_django, target_for

SEED = 20_270_401
SITE_CODE = "bench-clinic"
TIME_ZONE = "Europe/London"
OPEN_MINUTE, CLOSE_MINUTE = 8 * 60, 20 * 60
DAY_MINUTES = CLOSE_MINUTE - OPEN_MINUTE
OPEN_WEEKDAYS = range(6)  # Monday to Saturday
STEP = 5  # bookings start on a 5-minute grid
BUFFER_MINUTES = 10
LOUNGE_CAPACITY = 8
PRACTITIONERS = 20
PRESCRIBERS = 8  # the first eight: doctors and nurse prescribers
ROOMS = 10
DEVICES = (("dermafrac", 3), ("electroporation-wand", 2))
CLIENTS = 20_000
FUTURE_DAYS = 365
BATCH = 20_000
# (treatment code, weight): a clinic-like mix of the demo catalogue's treatments.
MIX = (
    ("face-revitalise", 30),
    ("pigmentation", 12),
    ("under-eye", 10),
    ("acne-scars", 10),
    ("scalp-hair", 12),
    ("body-cellulite", 10),
    ("chin-jowl-fat", 6),
    ("mesotox", 5),
    ("no-needle-infusion", 5),
)
FALLBACK_TREATMENT = "scalp-hair"  # no device, no numbing: fits when those are full
APPOINTMENT_COLUMNS = (
    "client_id",
    "treatment_id",
    "formulation_id",
    "site_id",
    "practitioner_id",
    "room_id",
    "device_id",
    "start",
    "treatment_start",
    "end",
    "busy_until",
    "status",
    "course_id",
    "session_number",
    "price",
    "booked_at",
    "booked_by_label",
    "cancelled_at",
    "cancel_reason",
    "notes",
)


@dataclass(frozen=True)
class TreatmentSpec:
    """What the generator needs to know about a treatment."""

    id: int
    code: str
    numbing: int
    minutes: int
    device_type: str
    price: Decimal
    formulation_id: int | None
    prescriber_only: bool


@dataclass
class Resources:
    """Primary keys of the bench site's resources."""

    site_id: int
    practitioners: list[int]
    prescribers: list[int]
    rooms: list[int]
    devices: dict[str, list[int]]
    clients: list[int]
    treatments: dict[str, TreatmentSpec] = field(default_factory=dict)


@dataclass(frozen=True)
class DatasetInfo:
    """What was generated, kept next to the data set so runs can reuse it."""

    database: str
    size: str
    seed: int
    anchor: str  # the local date the data set was made for ("today")
    appointments: int
    first_day: str
    last_day: str
    generate_seconds: float
    load_seconds: float
    index_seconds: float
    overlaps: int

    @property
    def anchor_date(self) -> dt.date:
        return dt.date.fromisoformat(self.anchor)


# --- set-up: catalogue, site, people -----------------------------------------------------


def _prepare_schema_and_reference_data() -> None:
    """Migrate and load the demo clinic (catalogue, protocols, the ``admin`` user)."""
    from django.core.management import call_command

    from mesoclinic.demo.loader import demo_load

    call_command("migrate", interactive=False, verbosity=0)
    demo_load()


def _create_site(anchor: dt.date) -> Resources:
    """The bench site with its opening hours, rooms, devices, practitioners and clients."""
    from mesoclinic.people.models import (
        Client,
        Device,
        OpeningHours,
        Organisation,
        Practitioner,
        Room,
        Site,
        WorkingHours,
    )

    organisation = Organisation.objects.order_by("pk").first()
    assert organisation is not None, "the demo organisation must exist"
    site = Site.objects.create(
        organisation=organisation,
        code=SITE_CODE,
        name="Benchmark clinic",
        time_zone=TIME_ZONE,
        holiday_country="GB",
        holiday_subdivision="ENG",
        numbing_lounge_capacity=LOUNGE_CAPACITY,
    )
    opens = dt.time(OPEN_MINUTE // 60, OPEN_MINUTE % 60)
    closes = dt.time(CLOSE_MINUTE // 60, CLOSE_MINUTE % 60)
    OpeningHours.objects.bulk_create(
        OpeningHours(site=site, weekday=weekday, opens=opens, closes=closes)
        for weekday in OPEN_WEEKDAYS
    )
    rooms = Room.objects.bulk_create(
        Room(site=site, code=f"bench-room-{n:02d}", name=f"Bench room {n}")
        for n in range(1, ROOMS + 1)
    )
    devices: dict[str, list[int]] = {}
    for device_type, count in DEVICES:
        created = Device.objects.bulk_create(
            Device(
                site=site,
                code=f"bench-{device_type}-{n}",
                name=f"Bench {device_type} {n}",
                device_type=device_type,
            )
            for n in range(1, count + 1)
        )
        devices[device_type] = [device.pk for device in created]
    far = anchor.replace(year=anchor.year + 60)
    practitioners: list[Practitioner] = []
    for n in range(1, PRACTITIONERS + 1):
        doctor = n <= 6
        prescriber = n <= PRESCRIBERS
        practitioner = Practitioner.objects.create(
            code=f"bench-p{n:02d}",
            title="Dr" if doctor else "",
            given_name=f"Bench{n:02d}",
            family_name="Doctor" if doctor else "Nurse",
            profession="doctor" if doctor else "nurse",
            registration_body="GMC" if doctor else "NMC",
            registration_number=f"B{n:06d}",
            registration_expires_on=far,
            prescriber_qualification="Independent prescriber" if prescriber else "",
            prescriber_expires_on=far if prescriber else None,
            insurance_provider="Bench indemnity",
            insurance_expires_on=far,
        )
        practitioner.sites.add(site)
        practitioners.append(practitioner)
    WorkingHours.objects.bulk_create(
        WorkingHours(practitioner=p, site=site, weekday=weekday, starts=opens, ends=closes)
        for p in practitioners
        for weekday in OPEN_WEEKDAYS
    )
    rng = random.Random(SEED)
    created_at = dt.datetime.combine(anchor, dt.time(), tzinfo=dt.UTC) - dt.timedelta(days=30)
    clients = Client.objects.bulk_create(
        (
            Client(
                given_name=f"Client{n:05d}",
                family_name=rng.choice(_FAMILY_NAMES),
                birth_date=dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(365 * 55)),
                sex=rng.choice(("female", "female", "female", "male")),
                email=f"client{n:05d}@bench.invalid",
                home_site=site,
                created_at=created_at,
            )
            for n in range(1, CLIENTS + 1)
        ),
        batch_size=2_000,
    )
    return Resources(
        site_id=site.pk,
        practitioners=[p.pk for p in practitioners],
        prescribers=[p.pk for p in practitioners[:PRESCRIBERS]],
        rooms=[room.pk for room in rooms],
        devices=devices,
        clients=[client.pk for client in clients],
        treatments=_treatment_specs(),
    )


_FAMILY_NAMES = (
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Patel",
    "Robinson",
    "Wright",
    "Thompson",
    "Evans",
    "Walker",
    "White",
    "Roberts",
    "Green",
    "Hall",
    "Wood",
    "Jackson",
    "Clarke",
    "Khan",
    "Hughes",
    "Edwards",
    "Lewis",
)


def _treatment_specs() -> dict[str, TreatmentSpec]:
    from mesoclinic.catalogue.models import Treatment

    specs = {}
    for treatment in Treatment.objects.filter(code__in=[code for code, _ in MIX]).select_related(
        "default_formulation"
    ):
        formulation = treatment.default_formulation
        specs[treatment.code] = TreatmentSpec(
            id=treatment.pk,
            code=treatment.code,
            numbing=treatment.numbing_minutes,
            minutes=treatment.treatment_minutes,
            device_type=treatment.device_type,
            price=treatment.price,
            formulation_id=formulation.pk if formulation else None,
            prescriber_only=treatment.requires_prescriber
            or bool(formulation and formulation.regulatory_class == "pom"),
        )
    return specs


# --- the generator ------------------------------------------------------------------------


def open_days(first: dt.date, last: dt.date) -> list[dt.date]:
    """Open days of the bench site between two dates (Mon–Sat, not a bank holiday)."""
    import holidays

    closed = holidays.country_holidays("GB", subdiv="ENG", years=range(first.year, last.year + 1))
    days = []
    day = first
    while day <= last:
        if day.weekday() in OPEN_WEEKDAYS and day not in closed:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def occupancy(offset_days: int) -> float:
    """Target share of room time booked, by days from the anchor (negative = past)."""
    if offset_days <= 14:
        return 0.78
    return 0.78 - 0.53 * min(offset_days - 14, FUTURE_DAYS - 14) / (FUTURE_DAYS - 14)


class DayFiller:
    """Fills one day with non-overlapping bookings (see the module docstring)."""

    def __init__(self, resources: Resources, rng: random.Random) -> None:
        self.resources = resources
        self.rng = rng
        specs = resources.treatments
        self.mix = [specs[code] for code, _ in MIX]
        self.weights = [weight for _, weight in MIX]
        self.fallback = specs[FALLBACK_TREATMENT]
        self.mean_minutes = sum(
            spec.minutes * weight for spec, weight in zip(self.mix, self.weights, strict=True)
        ) / sum(self.weights)

    def fill(self, occupancy_share: float) -> list[tuple[int, int, TreatmentSpec, int, int, int]]:
        """Bookings of one day as ``(treatment_start minute, practitioner, spec, room,
        device or 0, arrival minute)`` with minutes counted from opening."""
        rng = self.rng
        resources = self.resources
        held = self.mean_minutes + BUFFER_MINUTES
        mean_gap = held * (1 / occupancy_share - 1)
        practitioner_free = dict.fromkeys(resources.practitioners, 0)
        device_free = {device: 0 for ids in resources.devices.values() for device in ids}
        lounge = [0] * (DAY_MINUTES // STEP + 1)
        rooms = [(rng.randrange(0, 60, STEP), room) for room in resources.rooms]
        heapq.heapify(rooms)
        bookings: list[tuple[int, int, TreatmentSpec, int, int, int]] = []
        while rooms:
            room_free, room = heapq.heappop(rooms)
            spec = rng.choices(self.mix, self.weights)[0]
            placed = self._place(spec, room_free, practitioner_free, device_free, lounge)
            if placed is None:
                placed = self._place(
                    self.fallback, room_free, practitioner_free, device_free, lounge
                )
            if placed is None:
                continue  # this room is done for the day
            spec, treatment_start, practitioner, device = placed
            end = treatment_start + spec.minutes
            practitioner_free[practitioner] = end + BUFFER_MINUTES
            if device:  # the database holds devices until busy_until too
                device_free[device] = end + BUFFER_MINUTES
            arrival = treatment_start - spec.numbing
            for cell in range(arrival // STEP, treatment_start // STEP):
                lounge[cell] += 1
            bookings.append((treatment_start, practitioner, spec, room, device, arrival))
            gap = int(rng.expovariate(1 / mean_gap) / STEP) * STEP if mean_gap > 0 else 0
            heapq.heappush(rooms, (end + BUFFER_MINUTES + gap, room))
        return bookings

    def _place(
        self,
        spec: TreatmentSpec,
        room_free: int,
        practitioner_free: dict[int, int],
        device_free: dict[int, int],
        lounge: list[int],
    ) -> tuple[TreatmentSpec, int, int, int] | None:
        eligible = (
            self.resources.prescribers if spec.prescriber_only else self.resources.practitioners
        )
        treatment_start = max(room_free, spec.numbing)
        free = [p for p in eligible if practitioner_free[p] <= treatment_start]
        if not free:
            treatment_start = max(treatment_start, min(practitioner_free[p] for p in eligible))
            free = [p for p in eligible if practitioner_free[p] <= treatment_start]
        if treatment_start + spec.minutes > DAY_MINUTES:
            return None
        device = 0
        if spec.device_type:
            devices = [
                d
                for d in self.resources.devices[spec.device_type]
                if device_free[d] <= treatment_start
            ]
            if not devices:
                return None
            device = self.rng.choice(devices)
        if spec.numbing:
            first, last = (treatment_start - spec.numbing) // STEP, treatment_start // STEP
            if any(lounge[cell] >= LOUNGE_CAPACITY for cell in range(first, last)):
                return None
        return spec, treatment_start, self.rng.choice(free), device


def _free_client(
    clients: list[int],
    busy: dict[int, list[tuple[int, int]]],
    arrival: int,
    end: int,
    rng: random.Random,
) -> int:
    """A random client who is not at the clinic during ``[arrival, end)`` that day (a
    client is never in two places at once: migration 0007 guards it)."""
    while True:
        client = rng.choice(clients)
        held = busy.setdefault(client, [])
        if all(end <= other_arrival or other_end <= arrival for other_arrival, other_end in held):
            held.append((arrival, end))
            return client


def appointment_rows(
    resources: Resources, anchor: dt.date, count: int, rng: random.Random
) -> Iterator[tuple[Any, ...]]:
    """Rows for ``scheduling_appointment`` (``APPOINTMENT_COLUMNS``), future days first,
    then back in time until ``count`` rows were produced."""
    import zoneinfo

    tz = zoneinfo.ZoneInfo(TIME_ZONE)
    filler = DayFiller(resources, rng)
    future = open_days(anchor, anchor + dt.timedelta(days=FUTURE_DAYS))
    produced = 0
    clients = resources.clients
    now = dt.datetime.combine(anchor, dt.time(7), tzinfo=tz).astimezone(dt.UTC)

    def days() -> Iterator[dt.date]:
        yield from future
        year_end = anchor - dt.timedelta(days=1)
        while True:
            year_start = year_end - dt.timedelta(days=364)
            yield from reversed(open_days(year_start, year_end))
            year_end = year_start - dt.timedelta(days=1)

    for day in days():
        client_busy: dict[int, list[tuple[int, int]]] = {}  # no booking spans two days
        offset = (day - anchor).days
        opening = dt.datetime.combine(day, dt.time(OPEN_MINUTE // 60), tzinfo=tz).astimezone(dt.UTC)
        for treatment_start, practitioner, spec, room, device, arrival in filler.fill(
            occupancy(offset)
        ):
            client = _free_client(
                clients, client_busy, arrival, treatment_start + spec.minutes, rng
            )
            start_at = opening + dt.timedelta(minutes=arrival)
            treatment_at = opening + dt.timedelta(minutes=treatment_start)
            end_at = treatment_at + dt.timedelta(minutes=spec.minutes)
            roll = rng.random()
            cancelled_at = None
            if offset >= 0:
                status = "booked"
                booked_at = now - dt.timedelta(days=rng.randrange(0, 60))
                if roll < 0.03:
                    status, cancelled_at = "cancelled", now
            else:
                status = "fulfilled"
                booked_at = start_at - dt.timedelta(days=rng.randrange(1, 60))
                if roll < 0.02:
                    status, cancelled_at = "cancelled", start_at - dt.timedelta(days=1)
                elif roll < 0.05:
                    status = "noshow"
            yield (
                client,
                spec.id,
                spec.formulation_id,
                resources.site_id,
                practitioner,
                room,
                device or None,
                start_at,
                treatment_at,
                end_at,
                end_at + dt.timedelta(minutes=BUFFER_MINUTES),
                status,
                None,
                None,
                spec.price,
                booked_at,
                "bench",
                cancelled_at,
                "",
                "",
            )
            produced += 1
            if produced >= count:
                return


# --- loading ------------------------------------------------------------------------------


def _guards_and_indexes(vendor: str) -> list[tuple[str, str, str]]:
    """``(kind, name, create statement)`` of the appointment table's secondary indexes,
    overlap guards and triggers, read from the database itself."""
    from django.db import connection

    with connection.cursor() as cursor:
        if vendor == "sqlite":
            cursor.execute(
                "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = %s "
                "AND type IN ('index', 'trigger') AND sql IS NOT NULL",
                ["scheduling_appointment"],
            )
            return [(kind, name, sql) for kind, name, sql in cursor.fetchall()]
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'scheduling_appointment'::regclass AND contype = 'x'"
        )
        items = [
            ("constraint", name, f"ALTER TABLE scheduling_appointment ADD CONSTRAINT {name} {sql}")
            for name, sql in cursor.fetchall()
        ]
        cursor.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
            "WHERE indrelid = 'scheduling_appointment'::regclass AND NOT indisprimary "
            "AND indexrelid NOT IN (SELECT conindid FROM pg_constraint "
            "WHERE conrelid = 'scheduling_appointment'::regclass)"
        )
        items += [("index", name, sql) for name, sql in cursor.fetchall()]
        # The calendar clock's trigger (a generated data set is read whole by the cache).
        cursor.execute(
            "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger "
            "WHERE tgrelid = 'scheduling_appointment'::regclass AND NOT tgisinternal"
        )
        items += [("trigger", name, sql) for name, sql in cursor.fetchall()]
        return items


def _drop(vendor: str, items: Sequence[tuple[str, str, str]]) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for kind, name, _ in items:
            if kind == "constraint":
                cursor.execute(f"ALTER TABLE scheduling_appointment DROP CONSTRAINT {name}")
            elif kind == "trigger" and vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER {name} ON scheduling_appointment")
            else:
                cursor.execute(f"DROP {kind.upper()} {name}")


def _create(items: Sequence[tuple[str, str, str]]) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for _kind, _, sql in sorted(items, key=lambda item: item[0] != "index"):
            cursor.execute(sql)


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, Decimal):
        return str(value)
    return value


def _insert(vendor: str, rows: Iterator[tuple[Any, ...]]) -> int:
    """Insert rows into ``scheduling_appointment`` in batches; returns the count."""
    from django.db import connection

    columns = ", ".join(f'"{column}"' for column in APPOINTMENT_COLUMNS)
    total = 0
    connection.ensure_connection()
    raw = connection.connection
    assert raw is not None
    if vendor == "sqlite":
        placeholders = ", ".join("?" * len(APPOINTMENT_COLUMNS))
        sql = f"INSERT INTO scheduling_appointment ({columns}) VALUES ({placeholders})"
        batch: list[tuple[Any, ...]] = []
        for row in rows:
            batch.append(tuple(map(_sqlite_value, row)))
            if len(batch) >= BATCH:
                raw.executemany(sql, batch)
                total += len(batch)
                batch = []
        if batch:
            raw.executemany(sql, batch)
            total += len(batch)
        return total
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY scheduling_appointment ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)
            total += 1
    return total


def overlap_count(*, since: dt.datetime | None = None) -> int:
    """Active appointments overlapping an earlier one of the same practitioner, room or
    device, or of the same client from arrival to end (should be 0), counted with a window
    function over each resource's (and client's) bookings."""
    from django.db import connection

    total = 0
    condition = "status IN ('booked', 'arrived', 'fulfilled')"
    params: list[Any] = []
    if since is not None:
        condition += " AND treatment_start >= %s"
        params.append(since)
    with connection.cursor() as cursor:
        for column, begin, until in (
            ("practitioner_id", "treatment_start", "busy_until"),
            ("room_id", "treatment_start", "busy_until"),
            ("device_id", "treatment_start", "busy_until"),
            ("client_id", "start", '"end"'),
        ):
            cursor.execute(
                f"SELECT COUNT(*) FROM (SELECT {begin} AS held_from, MAX({until}) OVER ("
                f"PARTITION BY {column} ORDER BY {begin}, id "
                f"ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS held_until "
                f"FROM scheduling_appointment WHERE {condition} AND {column} IS NOT NULL) AS t "
                f"WHERE held_until > held_from",
                params,
            )
            total += cursor.fetchone()[0]
    return total


def _info_path(target: BenchTarget) -> Any:
    return target.home / f"dataset-{target.database}-{target.size}.json"


def dataset_info(target: BenchTarget) -> DatasetInfo | None:
    """The data set's description, when it was generated and is complete."""
    path = _info_path(target)
    if not path.exists():
        return None
    return DatasetInfo(**json.loads(path.read_text()))


def _reset_database(target: BenchTarget) -> None:
    """Start from an empty database (delete the SQLite file / drop and create the PG db)."""
    import subprocess
    from urllib.parse import urlsplit

    _info_path(target).unlink(missing_ok=True)
    if target.database == "sqlite":
        path = target.url.removeprefix("sqlite:///")
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.remove(path + suffix)
        return
    parts = urlsplit(target.url)
    subprocess.run(
        [
            "dropdb",
            "--if-exists",
            "-h",
            parts.hostname or "127.0.0.1",
            "-U",
            parts.username or "postgres",
            *(["-p", str(parts.port)] if parts.port else []),
            parts.path.lstrip("/"),
        ],
        check=True,
    )


def generate(target: BenchTarget, *, log: Any = print) -> DatasetInfo:
    """Build the data set from scratch in the target database (Django not yet set up)."""
    _reset_database(target)
    setup_django(target)
    from django.db import connection, transaction

    from mesoclinic.core import clock
    from mesoclinic.scheduling import revisions

    vendor = connection.vendor
    _prepare_schema_and_reference_data()
    anchor = clock.today()
    resources = _create_site(anchor)
    log(f"[dataset] site, 20 practitioners, 10 rooms, 5 devices, {CLIENTS} clients created")
    rng = random.Random(SEED)
    items = _guards_and_indexes(vendor)
    started = time.perf_counter()
    if vendor == "sqlite":
        connection.cursor().execute("PRAGMA synchronous=OFF")
    with transaction.atomic():
        _drop(vendor, items)
        generate_timer = _Timer()
        count = _insert(
            vendor,
            generate_timer.wrap(appointment_rows(resources, anchor, target.appointments, rng)),
        )
        if vendor == "postgresql":  # check the deferred foreign keys before indexing
            connection.cursor().execute("SET CONSTRAINTS ALL IMMEDIATE")
        loaded = time.perf_counter()
        _create(items)
        # Loaded with the triggers dropped: running processes must reload their copies.
        revisions.restart(revisions.APPOINTMENTS)
        indexed = time.perf_counter()
    statistics_refresh()
    with connection.cursor() as cursor:
        cursor.execute("SELECT MIN(start), MAX(start) FROM scheduling_appointment")
        first, last = cursor.fetchone()
    overlaps = overlap_count()
    info = DatasetInfo(
        database=target.database,
        size=target.size,
        seed=SEED,
        anchor=anchor.isoformat(),
        appointments=count,
        first_day=str(first)[:10],
        last_day=str(last)[:10],
        generate_seconds=round(generate_timer.seconds, 1),
        load_seconds=round(loaded - started - generate_timer.seconds, 1),
        index_seconds=round(indexed - loaded, 1),
        overlaps=overlaps,
    )
    _info_path(target).write_text(json.dumps(info.__dict__, indent=2) + "\n")
    log(f"[dataset] {json.dumps(info.__dict__)}")
    if overlaps:
        raise RuntimeError(f"generated data set has {overlaps} overlapping bookings")
    return info


class _Timer:
    """Measures the time spent inside an iterator (generation, as opposed to loading)."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def wrap(self, rows: Iterator[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
        while True:
            started = time.perf_counter()
            try:
                row = next(rows)
            except StopIteration:
                self.seconds += time.perf_counter() - started
                return
            self.seconds += time.perf_counter() - started
            yield row


def ensure(target: BenchTarget, *, log: Any = print) -> DatasetInfo:
    """Set Django up on the target and return its data set, generating it when missing."""
    info = dataset_info(target)
    if info is None or info.appointments != SIZES[target.size]:
        return generate(target, log=log)
    setup_django(target)
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)  # a data set from older code
    return info


def statistics_refresh() -> None:
    """The planner's statistics after a bulk load: what the worker's hourly refresh gives
    on SQLite (``database_statistics_refresh``); a full ``ANALYZE`` on PostgreSQL, whose
    autovacuum would get there on its own, later."""
    from django.db import connection

    from mesoclinic.core.services import database_statistics_refresh

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    else:
        database_statistics_refresh()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dataset", description=__doc__)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--size", choices=tuple(SIZES), default="200k")
    parser.add_argument("--force", action="store_true", help="regenerate even if present")
    args = parser.parse_args(argv)
    target = target_for(args.database, args.size)
    if args.force:
        generate(target)
    else:
        info = ensure(target)
        print(json.dumps(info.__dict__, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
