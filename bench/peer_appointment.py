"""W7's peer side: django-appointment on the same calendar, timed with its own functions.

Run by the bench-only virtual environment's Python (``.venv-peer``, made by ``make bench``
from ``bench/peer-requirements.lock``), never imported by mesoclinic or by its virtual
environment: ``.venv-peer/bin/python bench/peer_appointment.py < spec.json``.

The spec (JSON on standard input, written by ``bench.w7``) holds the SQLite file to use, the
time zone, the staff's working hours, the service, the existing appointments (staff index,
local date, local start), the queries to time and the slots to book and race for. The
script sets up a minimal Django project with ``appointment`` installed, migrates a fresh
SQLite file with the same connection settings as mesoclinic's (WAL, ``synchronous=FULL``,
``IMMEDIATE`` transactions), loads the calendar, and prints one JSON object:

* ``slots``: for each query, the free slots django-appointment's
  ``services.get_available_slots_for_staff`` returns (one call per staff member and day,
  as its views call it), as ``[staff index, "YYYY-MM-DDTHH:MM"]``;
* ``timings``: milliseconds per query (after warm-up; the collector runs between calls);
* ``booking``: milliseconds per ``services.create_new_appointment`` (which checks nothing);
* ``races``: for each race, how many of the two threads booking the same slot succeeded.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import logging
import sys
import threading
import time
from pathlib import Path
from typing import Any

urlpatterns: list[Any] = []


def _setup(spec: dict[str, Any]) -> None:
    import django
    from django.conf import settings

    path = Path(spec["database"])
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    settings.configure(
        DEBUG=False,
        SECRET_KEY="bench-only-not-a-secret",
        USE_TZ=True,
        TIME_ZONE=spec["time_zone"],
        ALLOWED_HOSTS=["*"],
        ROOT_URLCONF=__name__,
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        DATABASES={
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": str(path),
                "OPTIONS": {
                    "transaction_mode": "IMMEDIATE",
                    "timeout": 20,
                    "init_command": (
                        "PRAGMA journal_mode=WAL;"
                        "PRAGMA synchronous=FULL;"
                        "PRAGMA foreign_keys=ON;"
                        "PRAGMA busy_timeout=20000;"
                    ),
                },
            }
        },
        INSTALLED_APPS=[
            "django.contrib.admin",
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "django.contrib.messages",
            "phonenumber_field",
            "appointment",
        ],
        TEMPLATES=[
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "APP_DIRS": True,
                "OPTIONS": {"context_processors": []},
            }
        ],
        LOGGING={"version": 1, "disable_existing_loggers": True},
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )
    django.setup()
    logging.disable(logging.INFO)  # as mesoclinic's bench runs (log level WARNING)
    from django.urls import include
    from django.urls import path as url

    urlpatterns.append(url("appointment/", include("appointment.urls")))
    from django.core.management import call_command

    # The package ships no migrations: its tables come from the models.
    call_command("migrate", interactive=False, run_syncdb=True, verbosity=0)


def _load(spec: dict[str, Any]) -> dict[str, Any]:
    """Staff, working hours, the service and the existing appointments."""
    from appointment.models import (
        Appointment,
        AppointmentRequest,
        Config,
        Service,
        StaffMember,
        WorkingHours,
    )
    from django.contrib.auth import get_user_model
    from django.db import transaction

    user_model = get_user_model()
    minutes = spec["service_minutes"]
    opens = dt.time.fromisoformat(spec["opens"])
    closes = dt.time.fromisoformat(spec["closes"])
    with transaction.atomic():
        Config.objects.create(
            slot_duration=spec["grid_minutes"],
            lead_time=opens,
            finish_time=closes,
            appointment_buffer_time=0,
            slot_gap_time=0,
        )
        service = Service.objects.create(
            name="W7 service", duration=dt.timedelta(minutes=minutes), price=0
        )
        users = user_model.objects.bulk_create(
            user_model(username=f"staff{n:02d}", email=f"staff{n:02d}@bench.invalid")
            for n in range(spec["staff"])
        )
        staff = StaffMember.objects.bulk_create(
            StaffMember(
                user=user,
                slot_duration=spec["grid_minutes"],
                lead_time=opens,
                finish_time=closes,
                appointment_buffer_time=0,
                slot_gap_time=0,
                work_on_saturday=6 in spec["weekdays"],
                work_on_sunday=0 in spec["weekdays"],
            )
            for user in users
        )
        for member in staff:
            member.services_offered.add(service)
        WorkingHours.objects.bulk_create(
            WorkingHours(
                staff_member=member, day_of_week=weekday, start_time=opens, end_time=closes
            )
            for member in staff
            for weekday in spec["weekdays"]
        )
        client = user_model.objects.create(username="calendar", email="calendar@bench.invalid")
        requests = AppointmentRequest.objects.bulk_create(
            (
                AppointmentRequest(
                    date=dt.date.fromisoformat(day),
                    start_time=dt.time.fromisoformat(start),
                    end_time=(
                        dt.datetime.combine(dt.date.min, dt.time.fromisoformat(start))
                        + dt.timedelta(minutes=minutes)
                    ).time(),
                    service=service,
                    staff_member=staff[index],
                )
                for index, day, start in spec["appointments"]
            ),
            batch_size=2_000,
        )
        Appointment.objects.bulk_create(
            (
                Appointment(
                    client=client,
                    appointment_request=request,
                    id_request=f"w7-{request.pk}",
                    amount_to_pay=0,
                )
                for request in requests
            ),
            batch_size=2_000,
        )
    return {"service": service, "staff": staff}


def _search(loaded: dict[str, Any], staff: list[int], days: list[str]) -> list[Any]:
    """django-appointment's own free slots, one call per staff member and day (what is
    timed): ``(staff index, [naive local datetimes])`` per staff-day."""
    from appointment.services import get_available_slots_for_staff
    from appointment.utils.db_helpers import get_weekday_num_from_date

    service, members = loaded["service"], loaded["staff"]
    found: list[Any] = []
    for index in staff:
        for text in days:
            day = dt.date.fromisoformat(text)
            found.append(
                (
                    index,
                    get_available_slots_for_staff(
                        day, members[index], get_weekday_num_from_date(day), service=service
                    ),
                )
            )
    return found


def _free_slots(loaded: dict[str, Any], staff: list[int], days: list[str]) -> list[list[Any]]:
    """The same as ``[staff index, "YYYY-MM-DDTHH:MM"]`` pairs."""
    return [
        [index, slot.strftime("%Y-%m-%dT%H:%M")]
        for index, slots in _search(loaded, staff, days)
        for slot in slots
    ]


def _time(call: Any, *, warmup: int, repeat: int, budget_seconds: float = 60.0) -> list[float]:
    for _ in range(warmup):
        call()
    samples: list[float] = []
    deadline = time.perf_counter() + budget_seconds
    while len(samples) < repeat and (len(samples) < 3 or time.perf_counter() < deadline):
        gc.collect()
        gc.disable()
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
        gc.enable()
    return samples


def _request(user: Any) -> Any:
    from django.test import RequestFactory

    request = RequestFactory().post("/appointment/request/", SERVER_NAME="localhost")
    request.user = user
    return request


def _book(loaded: dict[str, Any], index: int, moment: str, number: int) -> bool:
    """``create_new_appointment`` as the staff calendar calls it; True when it booked."""
    from appointment.services import create_new_appointment

    member = loaded["staff"][index]
    day, start = moment.split("T")
    response = create_new_appointment(
        {
            "service_id": loaded["service"].pk,
            "staff_member": member.pk,
            "date": day,
            "start_time": start,
            "client_name": f"Client {number}",
            "client_email": f"client{number}@bench.invalid",
            "client_phone": "",
            "client_address": "",
            "want_reminder": "false",
            "additional_info": "",
        },
        _request(member.user),
    )
    return response.status_code == 200


def _bookings(loaded: dict[str, Any], slots: list[list[Any]]) -> list[float]:
    samples: list[float] = []
    for number, (index, moment) in enumerate(slots):
        gc.collect()
        gc.disable()
        started = time.perf_counter()
        if not _book(loaded, index, moment, 100_000 + number):
            raise RuntimeError(f"create_new_appointment refused {moment}")
        samples.append((time.perf_counter() - started) * 1000)
        gc.enable()
    return samples


def _race_once(loaded: dict[str, Any], index: int, moment: str, numbers: list[int]) -> int:
    """Two threads book the same slot at once, each with its own connection: how many won."""
    from django.db import connection

    barrier = threading.Barrier(len(numbers))
    results: list[bool] = []
    lock = threading.Lock()

    def racer(number: int) -> None:
        barrier.wait()
        try:
            booked = _book(loaded, index, moment, number)
        except Exception:
            booked = False
        finally:
            connection.close()
        with lock:
            results.append(booked)

    threads = [threading.Thread(target=racer, args=(number,)) for number in numbers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(results)


def _races(loaded: dict[str, Any], slots: list[list[Any]]) -> list[int]:
    """One two-thread race per slot; the winners of each."""
    return [
        _race_once(loaded, index, moment, [200_000 + 2 * race, 200_001 + 2 * race])
        for race, (index, moment) in enumerate(slots)
    ]


def main() -> int:
    spec = json.load(sys.stdin)
    out, sys.stdout = sys.stdout, sys.stderr  # the package's own prints go to stderr
    started = time.perf_counter()
    _setup(spec)
    loaded = _load(spec)
    from importlib.metadata import version

    import django

    loaded_seconds = time.perf_counter() - started
    result: dict[str, Any] = {
        "package": "django-appointment",
        "version": version("django-appointment"),
        "django": django.get_version(),
        "load_seconds": round(loaded_seconds, 1),
        "slots": {},
        "timings": {},
    }
    for name, query in spec["queries"].items():
        result["slots"][name] = _free_slots(loaded, query["staff"], query["days"])

        def call(query: dict[str, Any] = query) -> None:
            _search(loaded, query["staff"], query["days"])

        result["timings"][name] = _time(call, warmup=query.get("warmup", 2), repeat=query["repeat"])
    result["booking"] = _bookings(loaded, spec.get("book", []))
    result["races"] = _races(loaded, spec.get("races", []))
    json.dump(result, out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
