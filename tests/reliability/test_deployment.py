"""Deployment (issue 18): the container recipe is sound (the Dockerfile linted, compose
read), the app starts the way the image starts it, and two app servers against one
database see each other's changes (their per-process calendar caches follow the
database's revision clocks; nothing is shared between the processes but the database).

Docker cannot run on every CI machine, so the image itself is not built here.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml
from django.db import connection

from mesoclinic.demo.loader import demo_load
from mesoclinic.people.models import Site
from mesoclinic.people.services import api_token_create, client_create

ROOT = Path(__file__).resolve().parents[2]
LONDON = zoneinfo.ZoneInfo("Europe/London")


def _dockerfile() -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (KEYWORD, arguments), continuation lines joined."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in (ROOT / "Dockerfile").read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        pending += line.removesuffix("\\").strip() + " "
        if not line.endswith("\\"):
            keyword, _, arguments = pending.strip().partition(" ")
            instructions.append((keyword.upper(), arguments.strip()))
            pending = ""
    return instructions


def _image_command() -> tuple[list[str], dict[str, str]]:
    """The image's CMD and the environment its ENV lines set."""
    instructions = _dockerfile()
    command = json.loads(
        next(arguments for keyword, arguments in reversed(instructions) if keyword == "CMD")
    )
    environment: dict[str, str] = {}
    final_stage = [index for index, (keyword, _) in enumerate(instructions) if keyword == "FROM"][
        -1
    ]
    for keyword, arguments in instructions[final_stage:]:
        if keyword == "ENV":
            for pair in arguments.split():
                name, _, value = pair.partition("=")
                environment[name] = value
    return command, environment


# --- the recipe ----------------------------------------------------------------------------------


def test_the_image_serves_mesoclinic_as_a_plain_user():
    instructions = _dockerfile()
    keywords = [keyword for keyword, _ in instructions]
    command, environment = _image_command()
    # the final stage switches to a non-root user before it serves
    users = [arguments for keyword, arguments in instructions if keyword == "USER"]
    assert users
    assert users[-1].split(":")[0] not in {"root", "0"}
    assert keywords.index("USER") < len(keywords) - 1 - keywords[::-1].index("CMD")
    assert command[:2] == ["mesoclinic", "serve"]
    assert command[command.index("--host") + 1] == "0.0.0.0"
    assert environment["MESOCLINIC_HOME"] == "/var/lib/mesoclinic"
    # small and reproducible: tagged slim bases, a multi-stage build, no ADD, no apt lists
    bases = [arguments.split()[0] for keyword, arguments in instructions if keyword == "FROM"]
    assert len(bases) == 2
    assert all(":" in base and "latest" not in base and "slim" in base for base in bases)
    assert "ADD" not in keywords
    runs = [arguments for keyword, arguments in instructions if keyword == "RUN"]
    for run in runs:
        if "apt-get install" in run:
            assert "--no-install-recommends" in run
            assert "rm -rf /var/lib/apt/lists/*" in run
    assert any("--constraint requirements.lock" in run for run in runs)
    assert any(
        "/healthz" in arguments for keyword, arguments in instructions if keyword == "HEALTHCHECK"
    )
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", ".venv", "var", ".env", "tests"} <= set(ignored)


def test_compose_runs_postgresql_the_app_and_caddy():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"db", "app", "caddy"}
    assert services["db"]["image"].startswith("postgres:")
    assert services["app"]["build"] == "."
    assert services["app"]["depends_on"]["db"]["condition"] == "service_healthy"
    app_environment = services["app"]["environment"]
    assert app_environment["DATABASE_URL"].startswith("postgres://mesoclinic:")
    assert "@db:5432/" in app_environment["DATABASE_URL"]
    assert "home:/var/lib/mesoclinic" in services["app"]["volumes"]
    assert services["caddy"]["image"].startswith("caddy:")
    assert "443:443" in services["caddy"]["ports"]
    assert "./Caddyfile:/etc/caddy/Caddyfile:ro" in services["caddy"]["volumes"]
    caddyfile = (ROOT / "Caddyfile").read_text()
    assert "reverse_proxy app:8000" in caddyfile
    assert "X-Request-ID" in caddyfile
    subnet = compose["networks"]["internal"]["ipam"]["config"][0]["subnet"]
    assert app_environment["MESOCLINIC_TRUSTED_PROXIES"] == subnet


def test_the_systemd_unit_serves_as_the_service_user():
    unit = (ROOT / "deploy" / "mesoclinic.service").read_text()
    assert "User=mesoclinic" in unit
    assert "ExecStart=/opt/mesoclinic/bin/mesoclinic serve" in unit
    assert "Environment=MESOCLINIC_INSECURE_HTTP=0" in unit  # TLS is at the proxy


# --- starting servers ----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Host": "localhost", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@contextmanager
def _serving(command: list[str], environment: dict[str, str], log: Path) -> Iterator[str]:
    """Run ``command`` (a ``mesoclinic serve``) until /healthz answers; stop it after."""
    port = command[command.index("--port") + 1]
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "mesoclinic.cli", *command[1:]],
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if _get(f"{base}/healthz")[0] == 200:
                        break
                except OSError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    output.flush()
                    raise RuntimeError(log.read_text()[-3000:])
                time.sleep(0.3)
            yield base
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.mark.slow
def test_the_app_starts_as_the_image_starts_it(tmp_path):
    # given: the image's command and environment, on a free port, in an empty home
    command, image_environment = _image_command()
    command[command.index("--port") + 1] = str(_free_port())
    command[command.index("--workers") + 1] = "2"
    environment = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    environment |= {
        "MESOCLINIC_HOME": str(tmp_path / "home"),
        "PYTHONPATH": str(ROOT / "src"),
        "MESOCLINIC_METRICS_TOKEN": "scrape-me",
        "PYTHONUNBUFFERED": image_environment["PYTHONUNBUFFERED"],
    }
    with _serving(command, environment, tmp_path / "serve.log") as base:
        # then: healthy, migrated, its worker beating
        deadline = time.monotonic() + 60
        while True:
            status, body = _get(f"{base}/healthz", {"X-Request-ID": "probe-1"})
            health = json.loads(body)
            if health["worker"]["status"] == "ok" or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert status == 200
        assert health["status"] == "ok"
        assert health["migrations"] == {"status": "ok", "pending": 0}
        assert health["worker"]["status"] == "ok"
        # every gunicorn process's requests are counted in one scrape
        for _ in range(4):
            _get(f"{base}/healthz")
        status, metrics = _get(f"{base}/metrics", {"Authorization": "Bearer scrape-me"})
        assert status == 200
        counted = [
            line
            for line in metrics.decode().splitlines()
            if line.startswith(
                'mesoclinic_http_request_duration_seconds_count{method="GET",route="healthz"}'
            )
        ]
        assert len(counted) == 1
        assert float(counted[0].split()[-1]) >= 5
    # and its log lines are JSON with the request id
    lines = [
        json.loads(line)
        for line in (tmp_path / "serve.log").read_text().splitlines()
        if line.startswith("{")
    ]
    assert {"route": "healthz", "request_id": "probe-1"}.items() <= next(
        line for line in lines if line.get("request_id") == "probe-1"
    ).items()


def _database_url() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(settings['NAME']).resolve()}"
    user = settings.get("USER") or ""
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    return f"postgres://{user}@{host}:{port}/{settings['NAME']}"


def _slots(base: str, token: str, day: dt.date) -> list[str]:
    status, body = _get(
        f"{base}/api/v1/availability?treatment=face-revitalise&from={day}&to={day}"
        "&practitioner=dr-patel",
        {"Authorization": f"Bearer {token}"},
    )
    assert status == 200, body
    return [slot["start"] for slot in json.loads(body)["slots"]]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_app_servers_on_one_database_see_each_others_bookings(tmp_path):
    # given: two servers (each its own processes and caches) against the test database
    if not Site.objects.filter(code="london").exists():
        demo_load(with_history=False)
    token = api_token_create(username="reception")
    client = client_create(
        actor=None,
        given_name="Two",
        family_name="Servers",
        birth_date=dt.date(1990, 1, 1),
        email="two.servers@example.com",
    )
    shared = os.environ | {
        "DATABASE_URL": _database_url(),
        "MESOCLINIC_SECRET_KEY": "one-key-for-every-app-server-in-this-test",
        "MESOCLINIC_STATIC_MANIFEST": "0",
        "PYTHONPATH": str(ROOT / "src"),
    }
    day = dt.datetime.now(LONDON).date() + dt.timedelta(days=22)
    day += dt.timedelta(days=(1 - day.weekday()) % 7)  # a Tuesday: dr-patel works
    servers = []
    with (
        _serving(
            ["mesoclinic", "serve", "--port", str(_free_port()), "--workers", "1", "--no-worker"],
            shared | {"MESOCLINIC_HOME": str(tmp_path / "a")},
            tmp_path / "a.log",
        ) as first,
        _serving(
            ["mesoclinic", "serve", "--port", str(_free_port()), "--workers", "1", "--no-worker"],
            shared | {"MESOCLINIC_HOME": str(tmp_path / "b")},
            tmp_path / "b.log",
        ) as second,
    ):
        servers = [first, second]
        offered = _slots(second, token, day)  # the second server has the day in memory
        assert offered, "dr-patel has no free time that Tuesday"
        assert _slots(first, token, day) == offered
        # when: the first server books the first slot
        request = urllib.request.Request(
            f"{first}/api/v1/appointments",
            data=json.dumps(
                {
                    "client": client.pk,
                    "treatment": "face-revitalise",
                    "start": offered[0],
                    "practitioner": "dr-patel",
                }
            ).encode(),
            method="POST",
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
                "Host": "localhost",
            },
        )
        with urllib.request.urlopen(request, timeout=60) as answer:
            assert answer.status == 201
        # then: the second server no longer offers it
        after = _slots(second, token, day)
        assert offered[0] not in after
        assert after == _slots(first, token, day)
    assert len(servers) == 2


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_servers_clean_shutdown_writes_the_read_audit_entries_it_holds(tmp_path):
    # given: a server whose read-audit batches would wait ten minutes (core.read_audit)
    from mesoclinic.core.models import AuditEntry

    if not Site.objects.filter(code="london").exists():
        demo_load(with_history=False)
    token = api_token_create(username="reception")
    client = client_create(
        actor=None, given_name="Audited", family_name="Read", birth_date=dt.date(1990, 1, 1)
    )
    environment = os.environ | {
        "DATABASE_URL": _database_url(),
        "MESOCLINIC_HOME": str(tmp_path / "home"),
        "MESOCLINIC_STATIC_MANIFEST": "0",
        "MESOCLINIC_READ_AUDIT_FLUSH_MS": "600000",
        "PYTHONPATH": str(ROOT / "src"),
    }
    command = ["mesoclinic", "serve", "--port", str(_free_port()), "--workers", "1", "--no-worker"]
    views = AuditEntry.objects.filter(action="client.view", client_id=client.pk)
    with _serving(command, environment, tmp_path / "serve.log") as base:
        # when: the client's page is read
        status, _ = _get(f"{base}/api/v1/clients/{client.pk}", {"Authorization": f"Bearer {token}"})
        assert status == 200
        # then: its entry waits in the worker (no commit of its own) ...
        assert views.count() == 0
    # ... and the clean stop (SIGTERM) writes it
    assert views.count() == 1
    assert views.get().actor_label == "reception"
