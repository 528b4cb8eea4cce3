"""Metrics for Prometheus at ``/metrics`` (prometheus-client).

Two kinds:

* counted in the process as things happen: request latency by route (a histogram), bookings
  made and screening outcomes. ``mesoclinic serve`` runs several gunicorn processes, so it
  sets ``PROMETHEUS_MULTIPROC_DIR`` and prometheus-client keeps these in files there; the
  scrape adds up every process's.
* read from the database at each scrape, the same whichever server answers: the task
  queue's depth (tasks ready to run) and its failures, and the age of the last successful
  backup.

The endpoint is off (404) unless ``MESOCLINIC_METRICS_TOKEN`` is set; then a scrape must
send ``Authorization: Bearer <token>`` (401 otherwise).
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Iterator

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

REQUEST_SECONDS = Histogram(
    "mesoclinic_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and URL route.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
BOOKINGS = Counter("mesoclinic_bookings", "Appointments booked (committed).", ["source"])
SCREENINGS = Counter("mesoclinic_screenings", "Safety screenings run, by outcome.", ["outcome"])


def request_observe(*, method: str, route: str, seconds: float) -> None:
    """Count one answered request."""
    REQUEST_SECONDS.labels(method=method, route=route).observe(seconds)


def booking_counted(*, source: str = "service") -> None:
    """Count one committed booking."""
    BOOKINGS.labels(source=source).inc()


def screening_counted(*, outcome: str) -> None:
    """Count one screening by its outcome (``allowed``, ``refused``, …)."""
    SCREENINGS.labels(outcome=outcome).inc()


class DatabaseCollector(Collector):
    """What the database knows, read at each scrape."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from django.db.models import Count
        from django_tasks_db.models import DBTaskResult

        from mesoclinic.core.selectors import backup_last_success_age_seconds

        statuses = {"READY": 0, "RUNNING": 0, "FAILED": 0}
        counted = (
            DBTaskResult.objects.filter(status__in=statuses)
            .values_list("status")
            .annotate(count=Count("pk"))
        )
        statuses.update(dict(counted))
        yield GaugeMetricFamily(
            "mesoclinic_task_queue_depth",
            "Background tasks waiting in the queue (ready, including those due later).",
            value=statuses["READY"],
        )
        yield GaugeMetricFamily(
            "mesoclinic_tasks_running", "Background tasks being run now.", value=statuses["RUNNING"]
        )
        yield GaugeMetricFamily(
            "mesoclinic_task_failures",
            "Background tasks that ended in failure (kept in the queue's table).",
            value=statuses["FAILED"],
        )
        age = backup_last_success_age_seconds()
        if age is not None:
            yield GaugeMetricFamily(
                "mesoclinic_last_backup_age_seconds",
                "Seconds since the last successful backup (absent until there is one).",
                value=age,
            )


def metrics_token() -> str:
    """The scrape token, or "" when ``/metrics`` is off."""
    from django.conf import settings

    return str(settings.MESOCLINIC.get("METRICS_TOKEN") or "")


def authorised(header: str, token: str) -> bool:
    """Whether an ``Authorization`` header carries ``token`` (compared in constant time)."""
    scheme, _, offered = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(offered.strip(), token)


def exposition() -> tuple[bytes, str]:
    """The metrics text and its content type: every process's counts, then the database's."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        for collector in (REQUEST_SECONDS, BOOKINGS, SCREENINGS):
            registry.register(collector)
    registry.register(DatabaseCollector())
    return generate_latest(registry), CONTENT_TYPE_LATEST
