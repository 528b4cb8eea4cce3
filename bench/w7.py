"""W7: peer comparison — the same calendar in mesoclinic and in django-appointment.

The calendar (``make_calendar``, seeded): 20 staff working Monday to Saturday 08:00–20:00
in Europe/London, one 45-minute service on a 15-minute grid, and N existing appointments
(N = 2,000 and 20,000) of that service spread over the 120 days from tomorrow, each
staff-day holding its share with random gaps (no overlaps by construction). 20,000
appointments cannot fit into 60 days (20 staff × 52 working days × 16 appointments a day
at most), hence 120 days; the queries look at the first 60.

* **mesoclinic** gets its own database (``w7-<N>.sqlite3`` under the bench home, or
  ``<bench database>_w7_<N>`` on PostgreSQL): the demo catalogue, a site without public
  holidays, 20 practitioners each with a room of their own (so rooms never decide a slot),
  a copy of the demo's ``scalp-hair`` (no numbing, no device) lasting 45 minutes, and
  the appointments (staff i in room i). Free slots come from the real selector,
  ``scheduling.selectors.availability_for``; bookings from ``services.appointment_book``.
* **django-appointment** (the peer) runs in the bench-only virtual environment
  ``.venv-peer`` (``bench/peer-requirements.lock``; never a dependency of mesoclinic) as a
  subprocess, ``bench/peer_appointment.py``, on a SQLite file of its own with mesoclinic's
  SQLite settings. Free slots come from its ``get_available_slots_for_staff`` (one call
  per staff-day, as its views do); bookings from its ``create_new_appointment``.

Measured on both, in the same run: free slots for one staff-day, one staff × 60 days and
20 staff × 60 days (``slots_equal`` says whether both returned exactly the same
(staff, local start) pairs); one booking (p50 over distinct free slots); and 20 races in
which two threads book the same slot at once (winners per race). The ratios are
peer ÷ mesoclinic: ``speedup_day_p50``, ``speedup_60d_p50``, ``speedup_all_p50``,
``booking_ratio_p50``.
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import random
import subprocess
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bench.env import BenchTarget, setup_django
from bench.report import latency_figures, percentile, time_calls, write_result

SIZES = (2_000, 20_000)
STAFF = 20
SERVICE_MINUTES = 45
GRID_MINUTES = 15
OPENS, CLOSES = dt.time(8), dt.time(20)
WEEKDAYS = range(6)  # Monday to Saturday (Python's numbering)
SPAN_DAYS = 120
WINDOW_DAYS = 60
TIME_ZONE = "Europe/London"
SITE_CODE = "w7-clinic"
TREATMENT_CODE = "w7-service"
SEED = 20_270_707
RACES = 20
ROOT = Path(__file__).resolve().parent.parent
PEER_SCRIPT = Path(__file__).resolve().parent / "peer_appointment.py"


def peer_python() -> Path:
    """The bench-only environment's Python (``BENCH_PEER_PYTHON``, default ``.venv-peer``)."""
    return Path(os.environ.get("BENCH_PEER_PYTHON") or ROOT / ".venv-peer" / "bin" / "python")


def local_today() -> dt.date:
    """Today in the calendar's time zone."""
    import zoneinfo

    return dt.datetime.now(tz=zoneinfo.ZoneInfo(TIME_ZONE)).date()


# --- the calendar -------------------------------------------------------------------------


def working_days(first: dt.date, days: int) -> list[dt.date]:
    """The working days among ``days`` days from ``first``."""
    every = (first + dt.timedelta(days=n) for n in range(days))
    return [day for day in every if day.weekday() in WEEKDAYS]


def make_calendar(first: dt.date, count: int, seed: int = SEED) -> list[tuple[int, str, str]]:
    """``count`` appointments ``(staff index, "YYYY-MM-DD", "HH:MM")`` over ``SPAN_DAYS``
    from ``first``: each staff-day gets its share (the remainder drawn at random) placed
    with random gaps on the grid, so no two appointments of one staff member overlap."""
    rng = random.Random(seed)
    staff_days = [(staff, day) for day in working_days(first, SPAN_DAYS) for staff in range(STAFF)]
    cells = (CLOSES.hour - OPENS.hour) * 60 // GRID_MINUTES
    length = SERVICE_MINUTES // GRID_MINUTES
    most = cells // length
    share, extra = divmod(count, len(staff_days))
    if share + (extra > 0) > most:
        raise ValueError(f"{count} appointments do not fit into {len(staff_days)} staff-days")
    lucky = set(rng.sample(range(len(staff_days)), extra))
    appointments: list[tuple[int, str, str]] = []
    for position, (staff, day) in enumerate(staff_days):
        booked = share + (position in lucky)
        if not booked:
            continue
        free = cells - booked * length
        # ``booked`` + 1 gaps summing to ``free``: stars and bars with random bar positions.
        bars = sorted(rng.sample(range(free + booked), booked))
        cell = 0
        previous = -1
        for bar in bars:
            cell += bar - previous - 1  # the gap before this appointment
            minute = OPENS.hour * 60 + cell * GRID_MINUTES
            appointments.append((staff, day.isoformat(), f"{minute // 60:02d}:{minute % 60:02d}"))
            cell += length
            previous = bar
    return appointments


def queries(first: dt.date) -> dict[str, dict[str, Any]]:
    """The three questions: staff 0 on the first working day, staff 0 and all staff over
    ``WINDOW_DAYS`` days."""
    days = [day.isoformat() for day in working_days(first, WINDOW_DAYS)]
    return {
        "day": {"staff": [0], "days": days[:1], "from": days[0], "to": days[0]},
        "60d": {"staff": [0], "days": days, "from": first.isoformat(), "to": days[-1]},
        "all": {
            "staff": list(range(STAFF)),
            "days": days,
            "from": first.isoformat(),
            "to": days[-1],
        },
    }


def pick_slots(slots: list[list[Any]], count: int, seed: int, avoid: set[tuple[int, str]]) -> Any:
    """``count`` free slots, no two of them on the same staff-day (nor on one in ``avoid``)."""
    rng = random.Random(seed)
    chosen: list[list[Any]] = []
    for index, moment in rng.sample(slots, len(slots)):
        key = (index, moment[:10])
        if key in avoid:
            continue
        avoid.add(key)
        chosen.append([index, moment])
        if len(chosen) == count:
            break
    return chosen


# --- mesoclinic's side ----------------------------------------------------------------------


def w7_target(target: BenchTarget, count: int) -> BenchTarget:
    """W7's own mesoclinic database for ``count`` appointments (never the W1–W6 data set)."""
    if target.database == "sqlite":
        url = f"sqlite:///{target.home / f'w7-{count}.sqlite3'}"
    else:
        parts = urlsplit(target.url)
        url = urlunsplit(parts._replace(path=f"{parts.path.rstrip('/')}_w7_{count}"))
    return BenchTarget(database=target.database, size=f"w7-{count}", url=url, home=target.home)


def _load_mesoclinic(calendar: list[tuple[int, str, str]], clients: int) -> dict[str, Any]:
    """The W7 site, staff, rooms, treatment, clients and appointments (Django set up on an
    empty, migrated database)."""
    import zoneinfo
    from decimal import Decimal

    from django.db import transaction

    from bench.dataset import _insert
    from mesoclinic.catalogue.models import Treatment
    from mesoclinic.core import clock
    from mesoclinic.demo.loader import demo_load
    from mesoclinic.people.models import (
        Client,
        OpeningHours,
        Organisation,
        Practitioner,
        Room,
        Site,
        WorkingHours,
    )
    from mesoclinic.people.services import staff_user_ensure

    demo_load(with_history=False)
    tz = zoneinfo.ZoneInfo(TIME_ZONE)
    far = clock.today() + dt.timedelta(days=3650)
    with transaction.atomic():
        organisation = Organisation.objects.order_by("pk").first()
        site = Site.objects.create(
            organisation=organisation,
            code=SITE_CODE,
            name="W7 clinic",
            time_zone=TIME_ZONE,
            holiday_country="",
            numbing_lounge_capacity=0,
        )
        OpeningHours.objects.bulk_create(
            OpeningHours(site=site, weekday=weekday, opens=OPENS, closes=CLOSES)
            for weekday in WEEKDAYS
        )
        rooms = Room.objects.bulk_create(
            Room(site=site, code=f"w7-room-{n:02d}", name=f"W7 room {n}") for n in range(STAFF)
        )
        practitioners = []
        for n in range(STAFF):
            practitioner = Practitioner.objects.create(
                code=f"w7-p{n:02d}",
                given_name=f"Staff{n:02d}",
                family_name="Nurse",
                profession="nurse",
                registration_body="NMC",
                registration_number=f"W7{n:05d}",
                registration_expires_on=far,
                insurance_provider="Bench indemnity",
                insurance_expires_on=far,
            )
            practitioner.sites.add(site)
            practitioners.append(practitioner)
        WorkingHours.objects.bulk_create(
            WorkingHours(practitioner=p, site=site, weekday=weekday, starts=OPENS, ends=CLOSES)
            for p in practitioners
            for weekday in WEEKDAYS
        )
        template = Treatment.objects.get(code="scalp-hair")
        template.pk = None
        treatment = template
        treatment.code, treatment.name = TREATMENT_CODE, "W7 service"
        treatment.treatment_minutes, treatment.numbing_minutes = SERVICE_MINUTES, 0
        treatment.device_type = ""
        treatment.save()
        created = clock.now() - dt.timedelta(days=30)
        people = Client.objects.bulk_create(
            Client(
                given_name=f"W7client{n:04d}",
                family_name="Bench",
                birth_date=dt.date(1980, 1, 1),
                email=f"w7client{n:04d}@bench.invalid",
                home_site=site,
                created_at=created,
            )
            for n in range(STAFF + clients)
        )
        now = clock.now()
        rows = []
        for index, day, start in calendar:
            begins = dt.datetime.combine(
                dt.date.fromisoformat(day), dt.time.fromisoformat(start), tzinfo=tz
            ).astimezone(dt.UTC)
            ends = begins + dt.timedelta(minutes=SERVICE_MINUTES)
            rows.append(
                (
                    people[index].pk,  # staff i's appointments have client i: never overlap
                    treatment.pk,
                    treatment.default_formulation_id,
                    site.pk,
                    practitioners[index].pk,
                    rooms[index].pk,
                    None,
                    begins,
                    begins,
                    ends,
                    ends,
                    "booked",
                    None,
                    None,
                    Decimal(treatment.price),
                    now,
                    "bench",
                    None,
                    "",
                    "",
                )
            )
        from django.db import connection

        _insert(connection.vendor, iter(rows))
    actor = staff_user_ensure(
        username="w7-reception",
        password="w7-reception-not-a-login",
        roles=["reception"],
        site=site,
    )
    return {
        "site": site,
        "treatment": treatment,
        "practitioners": practitioners,
        "rooms": rooms,
        "clients": people[STAFF:],
        "actor": actor,
        "tz": tz,
    }


def _search(world: dict[str, Any], query: dict[str, Any]) -> list[Any]:
    """The selector the portal and the staff calendar use (what is timed)."""
    from mesoclinic.scheduling.selectors import availability_for

    return availability_for(
        treatment=world["treatment"],
        site=world["site"],
        practitioner=world["practitioners"][0] if len(query["staff"]) == 1 else None,
        date_from=dt.date.fromisoformat(query["from"]),
        date_to=dt.date.fromisoformat(query["to"]),
    )


def _slots(world: dict[str, Any], query: dict[str, Any]) -> list[tuple[int, str]]:
    """mesoclinic's free slots for a query, as ``(staff index, local start)`` pairs."""
    codes = {p.code: n for n, p in enumerate(world["practitioners"])}
    return sorted(
        {
            (codes[slot.practitioner], slot.start.strftime("%Y-%m-%dT%H:%M"))
            for slot in _search(world, query)
        }
    )


def _book(world: dict[str, Any], index: int, moment: str, client: Any) -> tuple[int, str]:
    """``appointment_book`` (screening, re-check, audit, messages); the outcome's status
    and, for a refusal, its code and message. Staff ``index`` books into room ``index``,
    as the loaded calendar pairs them (the peer has no rooms): given the first free room,
    one staff member's booking could take the room another needs a moment later, and a
    slot both calendars showed free would be refused."""
    from mesoclinic.core.errors import DomainError
    from mesoclinic.scheduling.services import appointment_book

    start = dt.datetime.combine(
        dt.date.fromisoformat(moment[:10]), dt.time.fromisoformat(moment[11:]), tzinfo=world["tz"]
    )
    try:
        appointment_book(
            actor=world["actor"],
            client=client,
            treatment=world["treatment"],
            start=start,
            practitioner=world["practitioners"][index],
            room=world["rooms"][index],
            site=world["site"],
        )
    except DomainError as error:
        return error.status, f"{error.code}: {error}"
    return 201, ""


def _bookings(world: dict[str, Any], slots: list[list[Any]]) -> list[float]:
    import gc

    samples = []
    clients = iter(world["clients"])
    for index, moment in slots:
        client = next(clients)
        gc.collect()
        gc.disable()
        started = time.perf_counter()
        status, refusal = _book(world, index, moment, client)
        samples.append((time.perf_counter() - started) * 1000)
        gc.enable()
        if status != 201:
            raise RuntimeError(
                f"W7: appointment_book refused a free slot ({status}, {moment}, {refusal})"
            )
    return samples


def _race_once(world: dict[str, Any], index: int, moment: str, clients: list[Any]) -> int:
    """Two threads (each its own connection) book the same slot at once: how many won."""
    from django.db import connection

    barrier = threading.Barrier(len(clients))
    results: list[int] = []
    lock = threading.Lock()

    def racer(client: Any) -> None:
        barrier.wait()
        try:
            status, _ = _book(world, index, moment, client)
        except Exception:
            status = 500
        finally:
            connection.close()
        with lock:
            results.append(status)

    threads = [threading.Thread(target=racer, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results.count(201)


def _races(world: dict[str, Any], slots: list[list[Any]]) -> list[int]:
    """One two-thread race per slot; the winners of each."""
    clients = world["clients"][100:]  # the bookings use the first ones
    return [
        _race_once(world, index, moment, clients[2 * race : 2 * race + 2])
        for race, (index, moment) in enumerate(slots)
    ]


# --- one size, both sides -------------------------------------------------------------------


def _reset(target: BenchTarget) -> None:
    from bench.dataset import _reset_database

    _reset_database(target)


def run_peer(spec: dict[str, Any]) -> dict[str, Any]:
    """Run ``bench/peer_appointment.py`` with the bench-only environment's Python."""
    python = peer_python()
    if not python.exists():
        raise RuntimeError(
            f"W7 needs django-appointment's bench-only environment at {python.parent.parent}: "
            "run `make bench` (or `make .venv-peer/.installed-stamp`)"
        )
    done = subprocess.run(
        [str(python), str(PEER_SCRIPT)],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        check=False,
        timeout=3600,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the peer failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _measure_size(target: BenchTarget, count: int, quick: bool, queue: Any) -> None:
    """In a process of its own: build both calendars of ``count`` appointments, measure."""
    mine = w7_target(target, count)
    _reset(mine)
    setup_django(mine)
    from django.core.management import call_command

    from mesoclinic.core import clock

    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    first = clock.today() + dt.timedelta(days=1)
    calendar = make_calendar(first, count)
    asked = queries(first)
    world = _load_mesoclinic(calendar, clients=200)
    load_seconds = time.perf_counter() - started
    mine_slots = {name: _slots(world, query) for name, query in asked.items()}
    taken: set[tuple[int, str]] = set()
    booking_count = 15 if quick else 40
    book = pick_slots(mine_slots["all"], booking_count, SEED + 1, taken)
    race = pick_slots(mine_slots["all"], RACES, SEED + 2, taken)
    repeats = {
        "day": (50, 200) if quick else (200, 200),
        "60d": (5, 100) if quick else (20, 200),
        "all": (3, 60) if quick else (5, 200),
    }
    spec = {
        "database": str(target.home / f"w7-peer-{count}.sqlite3"),
        "time_zone": TIME_ZONE,
        "staff": STAFF,
        "opens": OPENS.isoformat("minutes"),
        "closes": CLOSES.isoformat("minutes"),
        "weekdays": [(weekday + 1) % 7 for weekday in WEEKDAYS],  # its Sunday is 0
        "service_minutes": SERVICE_MINUTES,
        "grid_minutes": GRID_MINUTES,
        "appointments": calendar,
        "queries": {
            name: {**query, "repeat": repeats[name][0], "warmup": 1 if name == "all" else 2}
            for name, query in asked.items()
        },
        "book": book,
        "races": race,
    }
    peer = run_peer(spec)
    results: dict[str, Any] = {
        "appointments": count,
        "mesoclinic_load_seconds": round(load_seconds, 1),
    }
    results["peer_load_seconds"] = peer["load_seconds"]
    for name, query in asked.items():
        samples = time_calls(lambda query=query: _search(world, query), repeat=repeats[name][1])
        ours = latency_figures(samples)
        theirs = latency_figures(peer["timings"][name])
        peer_slots = sorted((index, moment) for index, moment in peer["slots"][name])
        results[name] = {
            "slots": len(mine_slots[name]),
            "peer_slots": len(peer_slots),
            "slots_equal": peer_slots == mine_slots[name],
            "mesoclinic": ours,
            "peer": theirs,
            "speedup_p50": round(theirs["p50_ms"] / ours["p50_ms"], 1),
        }
    ours_booking = _bookings(world, book)
    results["booking"] = {
        "bookings": len(book),
        "mesoclinic_p50_ms": round(percentile(ours_booking, 0.5), 3),
        "peer_booking_p50_ms": round(percentile(peer["booking"], 0.5), 3),
    }
    results["booking"]["booking_ratio_p50"] = round(
        results["booking"]["peer_booking_p50_ms"] / results["booking"]["mesoclinic_p50_ms"], 2
    )
    ours_races = _races(world, race)
    results["races"] = {
        "races": len(race),
        "mesoclinic_winners": ours_races,
        "peer_winners": peer["races"],
    }
    results["peer"] = {key: peer[key] for key in ("package", "version", "django")}
    from django.db import connection

    connection.close()
    queue.put(results)


def measure_size(target: BenchTarget, count: int, *, quick: bool) -> dict[str, Any]:
    """``_measure_size`` in a fresh process (Django is set up once per process)."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_measure_size, args=(target, count, quick, queue))
    process.start()
    try:
        result: dict[str, Any] = queue.get(timeout=3600)
    finally:
        process.join(timeout=60)
    return result


def run(target: BenchTarget, info: Any = None, *, quick: bool = False) -> dict[str, Any]:
    """Measure W7 at N = 2,000 and 20,000 and write ``bench/results/W7[...].json``."""
    started = time.perf_counter()
    sizes = {str(count): measure_size(target, count, quick=quick) for count in SIZES}
    largest = sizes[str(SIZES[-1])]
    figures: dict[str, Any] = {
        "speedup_day_p50": largest["day"]["speedup_p50"],
        "speedup_60d_p50": largest["60d"]["speedup_p50"],
        "speedup_all_p50": largest["all"]["speedup_p50"],
        "booking_ratio_p50": largest["booking"]["booking_ratio_p50"],
        "peer_booking_p50_ms": largest["booking"]["peer_booking_p50_ms"],
        "booking_p50_ms": largest["booking"]["mesoclinic_p50_ms"],
        "slots_equal": all(
            size[name]["slots_equal"] for size in sizes.values() for name in ("day", "60d", "all")
        ),
        "races": sum(size["races"]["races"] for size in sizes.values()),
        "winners_per_race_max": max(
            max(size["races"]["mesoclinic_winners"]) for size in sizes.values()
        ),
        "peer_winners_per_race_max": max(
            max(size["races"]["peer_winners"]) for size in sizes.values()
        ),
        "peer_races_double_booked": sum(
            sum(1 for won in size["races"]["peer_winners"] if won > 1) for size in sizes.values()
        ),
        "p50_ms": largest["all"]["mesoclinic"]["p50_ms"],
        "p95_ms": largest["all"]["mesoclinic"]["p95_ms"],
        "p99_ms": largest["all"]["mesoclinic"]["p99_ms"],
        "by_size": sizes,
        "load_average": os.getloadavg(),
        "seconds": round(time.perf_counter() - started, 1),
    }
    baseline = {
        "algorithm": "django-appointment get_available_slots_for_staff per staff-day; "
        "create_new_appointment (no conflict check)",
        "package": largest["peer"],
        "p50_ms": largest["all"]["peer"]["p50_ms"],
        "p95_ms": largest["all"]["peer"]["p95_ms"],
        "p99_ms": largest["all"]["peer"]["p99_ms"],
    }
    suffix = "" if target.database == "sqlite" else f"-{target.database}"
    return write_result(
        "W7", database=target.database, figures=figures, baseline=baseline, suffix=suffix
    )


def peer_bookings(target: BenchTarget, *, bookings: int = 30) -> tuple[list[float], str]:
    """django-appointment's ``create_new_appointment`` on W7's smaller calendar (for W2's
    ``peer_ratio_p50``): the milliseconds of each booking, and the package with its
    version. The peer alone, no mesoclinic database involved."""
    first = local_today() + dt.timedelta(days=1)
    calendar = make_calendar(first, SIZES[0])
    # The peer checks nothing, so any grid time of a working day will do.
    days = working_days(first, WINDOW_DAYS)
    slots = [[n % STAFF, f"{days[n % len(days)].isoformat()}T12:00"] for n in range(bookings)]
    peer = run_peer(
        {
            "database": str(target.home / "w7-peer-w2.sqlite3"),
            "time_zone": TIME_ZONE,
            "staff": STAFF,
            "opens": OPENS.isoformat("minutes"),
            "closes": CLOSES.isoformat("minutes"),
            "weekdays": [(weekday + 1) % 7 for weekday in WEEKDAYS],
            "service_minutes": SERVICE_MINUTES,
            "grid_minutes": GRID_MINUTES,
            "appointments": calendar,
            "queries": {},
            "book": slots,
            "races": [],
        }
    )
    return list(peer["booking"]), f"{peer['package']} {peer['version']}"
