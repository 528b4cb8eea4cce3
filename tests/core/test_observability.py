"""Observability (issue 18): request ids and JSON logs, ``/metrics`` behind a token, and
``/healthz`` reporting the worker's heartbeat and the migrations."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging

import pytest
from django.test import Client as HttpClient

from mesoclinic.core import clock, metrics
from mesoclinic.core.models import BackupRun, WorkerHeartbeat
from mesoclinic.core.request_log import JsonFormatter, RequestIdFilter
from mesoclinic.core.services import worker_heartbeat_beat
from mesoclinic.messaging.tasks import periodic_jobs

OUTCOMES = (
    "refused",
    "incomplete",
    "needs_override",
    "needs_prescriber",
    "allowed_with_warnings",
    "allowed",
)
TOKEN = "scrape-token-for-tests"


@pytest.fixture
def log_lines():
    """Every log line written during the test, as the production handler formats it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


@pytest.fixture
def metrics_on(settings):
    settings.MESOCLINIC = {**settings.MESOCLINIC, "METRICS_TOKEN": TOKEN}


def _scrape() -> str:
    response = HttpClient().get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    return response.content.decode()


def _value(text: str, sample: str) -> float:
    for line in text.splitlines():
        if line.startswith(sample + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{sample} not in the metrics")


# --- request ids and JSON logs ----------------------------------------------------------------


def test_a_request_id_offered_is_echoed_and_in_every_log_line_of_the_request(db, log_lines):
    # when: an unknown page, which Django's own request logger also reports
    response = HttpClient().get("/no-such-page", headers={"X-Request-ID": "edge-4711.a"})
    # then
    assert response.status_code == 404
    assert response["X-Request-ID"] == "edge-4711.a"
    lines = log_lines()
    assert {line["logger"] for line in lines} >= {"django.request", "mesoclinic.request"}
    assert {line["request_id"] for line in lines} == {"edge-4711.a"}
    request_line = next(line for line in lines if line["logger"] == "mesoclinic.request")
    assert request_line["message"] == "request"
    assert request_line["method"] == "GET"
    assert request_line["status"] == 404
    assert request_line["route"] == "unmatched"
    assert request_line["level"] == "INFO"
    assert dt.datetime.fromisoformat(request_line["time"]).tzinfo is not None


def test_without_a_request_id_one_is_made_and_each_request_gets_its_own(db, log_lines):
    first = HttpClient().get("/healthz")
    second = HttpClient().get("/healthz")
    assert len(first["X-Request-ID"]) == 32
    assert first["X-Request-ID"] != second["X-Request-ID"]
    routes = [(line["request_id"], line["route"]) for line in log_lines()]
    assert routes == [(first["X-Request-ID"], "healthz"), (second["X-Request-ID"], "healthz")]


@pytest.mark.parametrize("offered", ["bad id with spaces", "x" * 129, "a\nforged log line"])
def test_an_unsafe_request_id_is_replaced(db, offered):
    response = HttpClient().get("/healthz", headers={"X-Request-ID": offered})
    assert response["X-Request-ID"] != offered
    assert len(response["X-Request-ID"]) == 32


def test_log_lines_outside_a_request_carry_a_dash_and_extra_fields(log_lines):
    logging.getLogger("mesoclinic.test").warning("backup %s", "done", extra={"size": 12})
    (line,) = log_lines()
    assert line["request_id"] == "-"
    assert line["message"] == "backup done"
    assert line["size"] == 12


def test_an_exception_is_logged_with_its_traceback(log_lines):
    try:
        raise ValueError("broken")
    except ValueError:
        logging.getLogger("mesoclinic.test").exception("failed")
    (line,) = log_lines()
    assert "ValueError: broken" in line["exception"]


# --- /metrics ----------------------------------------------------------------------------------


def test_metrics_are_off_without_a_token(db):
    response = HttpClient().get("/metrics", headers={"Authorization": "Bearer anything"})
    assert response.status_code == 404


@pytest.mark.parametrize(
    "header", [None, "Bearer wrong-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x"]
)
def test_metrics_refuse_a_scrape_without_the_token(db, metrics_on, header):
    headers = {"Authorization": header} if header else {}
    response = HttpClient().get("/metrics", headers=headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert b"mesoclinic_" not in response.content


def test_metrics_count_requests_by_route(db, metrics_on):
    sample = 'mesoclinic_http_request_duration_seconds_count{method="GET",route="healthz"}'
    before = _value(_scrape(), sample) if sample in _scrape() else 0.0
    HttpClient().get("/healthz")
    HttpClient().get("/healthz")
    assert _value(_scrape(), sample) == before + 2


def _counter(text: str, sample: str) -> float:
    return _value(text, sample) if sample + " " in text else 0.0


def test_metrics_count_bookings_and_screening_outcomes(
    demo, metrics_on, django_capture_on_commit_callbacks
):
    from mesoclinic.catalogue.models import Treatment
    from mesoclinic.people.models import Client
    from mesoclinic.scheduling.selectors import availability_for
    from mesoclinic.scheduling.services import appointment_book

    treatment = Treatment.objects.get(code="face-revitalise")
    client = Client.objects.get(email="amelia.hart@example.com")
    day = clock.today() + dt.timedelta(days=10)
    (slot,) = availability_for(
        treatment=treatment, date_from=day, date_to=day + dt.timedelta(days=7), limit=1
    )
    bookings = 'mesoclinic_bookings_total{source="service"}'
    text = _scrape()
    before = _counter(text, bookings)
    screenings = sum(
        _counter(text, f'mesoclinic_screenings_total{{outcome="{outcome}"}}')
        for outcome in OUTCOMES
    )
    # when
    with django_capture_on_commit_callbacks(execute=True):
        appointment_book(actor=None, client=client, treatment=treatment, start=slot.start)
    # then
    text = _scrape()
    assert _value(text, bookings) == before + 1
    after = sum(
        _counter(text, f'mesoclinic_screenings_total{{outcome="{outcome}"}}')
        for outcome in OUTCOMES
    )
    assert after >= screenings + 1


def test_metrics_report_the_task_queue_and_its_failures(db, metrics_on):
    from django_tasks_db.models import DBTaskResult

    text = _scrape()
    depth = _value(text, "mesoclinic_task_queue_depth")
    failures = _value(text, "mesoclinic_task_failures")
    assert depth == DBTaskResult.objects.filter(status="READY").count()
    assert failures == DBTaskResult.objects.filter(status="FAILED").count()
    # when: one failed task more
    from mesoclinic.messaging.tasks import scan_maintenance_due

    result = scan_maintenance_due.enqueue()
    DBTaskResult.objects.filter(id=result.id).update(status="FAILED")
    # then
    assert _value(_scrape(), "mesoclinic_task_failures") == failures + 1


def test_metrics_report_the_age_of_the_last_successful_backup(db, metrics_on, settings):
    assert "mesoclinic_last_backup_age_seconds" not in _scrape()
    now = clock.now()
    for hours, status in ((30, "succeeded"), (2, "failed")):
        BackupRun.objects.create(
            started_at=now - dt.timedelta(hours=hours, minutes=1),
            finished_at=now - dt.timedelta(hours=hours),
            status=status,
            trigger="scheduled",
        )
    age = _value(_scrape(), "mesoclinic_last_backup_age_seconds")
    assert 30 * 3600 <= age < 30 * 3600 + 60  # the failed one does not count


def test_the_metrics_route_is_one_label_per_pattern_not_per_path(db, metrics_on):
    HttpClient().get("/api/v1/clients/1")
    HttpClient().get("/api/v1/clients/2")
    text = _scrape()
    assert "/clients/1" not in text
    assert 'route="api/v1/clients/<client_id>"' in text


# --- /healthz ----------------------------------------------------------------------------------


def test_healthz_reports_an_absent_worker_and_applied_migrations(db):
    response = HttpClient().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "worker": {"status": "absent", "last_seen": None},
        "migrations": {"status": "ok", "pending": 0},
    }


def test_healthz_reports_a_live_then_a_stale_worker(db):
    beat = worker_heartbeat_beat()
    body = HttpClient().get("/healthz").json()
    assert body["worker"] == {"status": "ok", "last_seen": beat.seen_at.isoformat()}
    # when: no beat for three minutes
    WorkerHeartbeat.objects.update(seen_at=clock.now() - dt.timedelta(minutes=3))
    # then: still a healthy server, its worker reported stale
    response = HttpClient().get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["worker"]["status"] == "stale"


def test_a_heartbeat_updates_one_row_per_worker(db):
    worker_heartbeat_beat(name="host-a:1")
    worker_heartbeat_beat(name="host-a:1")
    worker_heartbeat_beat(name="host-b:2")
    assert sorted(WorkerHeartbeat.objects.values_list("name", flat=True)) == [
        "host-a:1",
        "host-b:2",
    ]


def test_the_worker_beats_among_its_timed_jobs():
    assert (30.0, worker_heartbeat_beat) in periodic_jobs()


def test_healthz_reports_pending_migrations(db, monkeypatch):
    from mesoclinic.core import selectors

    monkeypatch.setattr(selectors, "_migrations_current", False)
    monkeypatch.setattr(
        "django.db.migrations.executor.MigrationExecutor.migration_plan",
        lambda self, targets: [("plan", False)] * 2,
    )
    assert HttpClient().get("/healthz").json()["migrations"] == {"status": "pending", "pending": 2}


def test_metrics_module_counts_outside_a_request():
    before = metrics.SCREENINGS.labels(outcome="refused")._value.get()
    metrics.screening_counted(outcome="refused")
    assert metrics.SCREENINGS.labels(outcome="refused")._value.get() == before + 1
