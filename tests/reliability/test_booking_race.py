"""Many clients racing for one slot against a real server (``mesoclinic serve``: gunicorn,
several processes and threads) on the test database, SQLite or PostgreSQL.

Exactly one request wins a slot pinned to one practitioner, every other one gets 409
``slot_unavailable`` (never a 500), and afterwards no practitioner, room or device is
double-booked and the numbing lounge is never over-filled. One client booked at the same
time with several practitioners gets exactly one appointment (409 ``client_busy`` for the
others): a client is never in two places at once.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.db import connection
from tests.reliability.support import TUESDAY, london_at, london_open_day

from mesoclinic.demo.loader import demo_load
from mesoclinic.people.models import Client, Site
from mesoclinic.people.services import api_token_create, client_create
from mesoclinic.scheduling.models import ACTIVE_STATUSES, Appointment

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

RACERS = 32


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _database_url() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(settings['NAME']).resolve()}"
    user = settings.get("USER") or ""
    password = settings.get("PASSWORD") or ""
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    return f"postgres://{credentials}{host}:{port}/{settings['NAME']}"


@pytest.fixture
def server(tmp_path):
    """A ``mesoclinic serve`` process on a free port against the test database."""
    if not Site.objects.filter(code="london").exists():
        demo_load(with_history=False)
    port = _free_port()
    environment = os.environ | {
        "DATABASE_URL": _database_url(),
        "MESOCLINIC_STATIC_MANIFEST": "0",
        "MESOCLINIC_INSECURE_HTTP": "1",
    }
    log = (tmp_path / "server.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mesoclinic.cli",
            "serve",
            "--port",
            str(port),
            "--workers",
            "4",
            "--no-worker",
        ],
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                log.flush()
                raise RuntimeError((tmp_path / "server.log").read_text()[-3000:])
            time.sleep(0.2)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def _post(url: str, token: str, body: dict[str, object]) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def _race(url: str, token: str, bodies: list[dict[str, object]]) -> list[tuple[int, dict]]:
    barrier = threading.Barrier(len(bodies))

    def run(body: dict[str, object]) -> tuple[int, dict]:
        barrier.wait()
        return _post(url, token, body)

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(run, bodies))


def _racers(count: int) -> list[Client]:
    """``count`` new clients (no history, so screening allows them), one per request."""
    return [
        client_create(
            actor=None,
            given_name="Racer",
            family_name=f"Number {index}",
            birth_date=dt.date(1990, 1, 1),
            email=f"racer.{index}@example.com",
        )
        for index in range(count)
    ]


def _assert_no_overlaps() -> None:
    rows = list(
        Appointment.objects.filter(status__in=ACTIVE_STATUSES).values_list(
            "practitioner_id",
            "room_id",
            "device_id",
            "site_id",
            "start",
            "treatment_start",
            "busy_until",
            "client_id",
            "end",
        )
    )
    for index, first in enumerate(rows):
        for second in rows[index + 1 :]:
            if first[7] == second[7]:
                assert not (first[4] < second[8] and second[4] < first[8]), "client in two places"
            if first[5] < second[6] and second[5] < first[6]:
                assert first[0] != second[0], "practitioner double-booked"
                assert first[1] != second[1], "room double-booked"
                assert first[2] is None or first[2] != second[2], "device double-booked"
    capacity = Site.objects.get(code="london").numbing_lounge_capacity
    numbing = [(row[4], row[5]) for row in rows if row[4] < row[5]]
    for start, _ in numbing:
        occupied = sum(1 for other_start, other_end in numbing if other_start <= start < other_end)
        assert occupied <= capacity, "numbing lounge over-filled"


def test_32_clients_racing_for_one_practitioner_slot_get_exactly_one_booking(server):
    # given
    token = api_token_create(username="reception")
    start = london_at(london_open_day(TUESDAY, days_ahead=21), 10)
    bodies: list[dict[str, object]] = [
        {
            "client": client.pk,
            "treatment": "face-revitalise",
            "start": start.isoformat(),
            "practitioner": "dr-patel",
        }
        for client in _racers(RACERS)
    ]
    # when
    results = _race(f"{server}/api/v1/appointments", token, bodies)
    # then
    statuses = Counter(status for status, _ in results)
    assert statuses == Counter({201: 1, 409: RACERS - 1}), statuses
    assert {answer["error"]["code"] for status, answer in results if status == 409} == {
        "slot_unavailable"
    }
    assert Appointment.objects.filter(start=start, status="booked").count() == 1
    _assert_no_overlaps()


def test_racing_without_a_practitioner_fills_each_resource_once(server):
    # given: 32 bookings for one time; three qualified practitioners, three rooms and a
    # lounge of three can take three of them
    token = api_token_create(username="reception")
    start = london_at(london_open_day(TUESDAY, days_ahead=21), 11)
    bodies: list[dict[str, object]] = [
        {"client": client.pk, "treatment": "face-revitalise", "start": start.isoformat()}
        for client in _racers(RACERS)
    ]
    # when
    results = _race(f"{server}/api/v1/appointments", token, bodies)
    # then
    statuses = Counter(status for status, _ in results)
    assert statuses == Counter({201: 3, 409: RACERS - 3}), statuses
    winners = [answer for status, answer in results if status == 201]
    assert len({answer["practitioner"] for answer in winners}) == 3
    assert len({answer["room"] for answer in winners}) == 3
    _assert_no_overlaps()


def test_racing_for_a_one_place_numbing_lounge_lets_one_client_in(server):
    # given: a lounge with a single place; three practitioners and three rooms are free,
    # so only the lounge can keep the racers apart (no exclusion constraint covers it)
    Site.objects.filter(code="london").update(numbing_lounge_capacity=1)
    token = api_token_create(username="reception")
    clients = _racers(RACERS)
    practitioners = ["dr-patel", "nurse-lewis", "nurse-okafor"]
    for hour in (9, 11, 13, 15):  # four races, to give a missing lock every chance to show
        start = london_at(london_open_day(TUESDAY, days_ahead=21), hour)
        bodies: list[dict[str, object]] = [
            {
                "client": client.pk,
                "treatment": "face-revitalise",
                "start": start.isoformat(),
                "practitioner": practitioners[index % 3],
            }
            for index, client in enumerate(clients)
        ]
        # when
        results = _race(f"{server}/api/v1/appointments", token, bodies)
        # then
        statuses = Counter(status for status, _ in results)
        assert statuses == Counter({201: 1, 409: RACERS - 1}), (hour, statuses)
    _assert_no_overlaps()


def test_one_client_booked_with_two_practitioners_at_once_gets_one_appointment(server):
    # given: one client, two free practitioners, free rooms and lounge places; only the
    # client can keep the two requests apart
    token = api_token_create(username="reception")
    client = Client.objects.get(email="freya.adeyemi@example.com")
    for hour in (9, 11, 13, 15):  # four races, to give a missing guard every chance to show
        start = london_at(london_open_day(TUESDAY, days_ahead=21), hour)
        bodies: list[dict[str, object]] = [
            {
                "client": client.pk,
                "treatment": "face-revitalise",
                "start": start.isoformat(),
                "practitioner": practitioner,
            }
            for practitioner in ("dr-patel", "nurse-lewis")
        ]
        # when
        results = _race(f"{server}/api/v1/appointments", token, bodies)
        # then: exactly one wins; the other is told the client is busy
        statuses = Counter(status for status, _ in results)
        assert statuses == Counter({201: 1, 409: 1}), (hour, results)
        assert [answer["error"]["code"] for status, answer in results if status == 409] == [
            "client_busy"
        ]
    assert Appointment.objects.filter(client=client, status="booked").count() == 4
    _assert_no_overlaps()


def test_one_client_in_32_requests_across_practitioners_gets_one_appointment(server):
    # given
    token = api_token_create(username="reception")
    client = Client.objects.get(email="amelia.hart@example.com")
    start = london_at(london_open_day(TUESDAY, days_ahead=21), 12)
    practitioners = ["dr-patel", "nurse-lewis", "nurse-okafor"]
    bodies: list[dict[str, object]] = [
        {
            "client": client.pk,
            "treatment": "face-revitalise",
            "start": start.isoformat(),
            "practitioner": practitioners[index % 3],
        }
        for index in range(RACERS)
    ]
    # when
    results = _race(f"{server}/api/v1/appointments", token, bodies)
    # then: a loser with the winner's practitioner may be refused for the slot first
    statuses = Counter(status for status, _ in results)
    assert statuses == Counter({201: 1, 409: RACERS - 1}), statuses
    codes = Counter(answer["error"]["code"] for status, answer in results if status == 409)
    assert set(codes) <= {"client_busy", "slot_unavailable"}
    assert codes["client_busy"] >= 1
    assert Appointment.objects.filter(client=client, start=start, status="booked").count() == 1
    _assert_no_overlaps()
