"""Structured logs with request ids.

Every request gets an id: the caller's ``X-Request-ID`` when it is a plain token (a proxy
such as Caddy or a load balancer may set one), otherwise a new random one. The id is sent
back in the response's ``X-Request-ID`` header and added to every log line written while
the request is handled, by whichever logger (:class:`RequestIdFilter`). Log lines are JSON
objects, one per line (:class:`JsonFormatter`), so a log shipper can parse them; each
request ends with one ``request`` line (method, route, status, duration). The request's
latency is also observed for ``/metrics`` (:mod:`mesoclinic.core.metrics`).
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.core.signals import request_finished
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
# Accepted from the caller: letters, digits and . _ - :, at most 128 characters; anything
# else (a log-injection attempt, a huge value) is replaced by a new id.
ACCEPTED = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
NO_REQUEST = "-"

_current: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default=NO_REQUEST)
request_logger = logging.getLogger("mesoclinic.request")

# Attributes every LogRecord has; anything else was passed in ``extra`` and is logged too.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "request_id"}


def current_request_id() -> str:
    """The id of the request being handled in this thread, or ``"-"`` outside one."""
    return _current.get()


def request_id_from(request: HttpRequest) -> str:
    """The caller's ``X-Request-ID`` if acceptable, else a new random id."""
    offered = request.headers.get(HEADER, "")
    return offered if ACCEPTED.fullmatch(offered) else uuid.uuid4().hex


def route_of(request: HttpRequest) -> str:
    """The URL pattern that served ``request`` (``api/v1/clients/<client_id>``), never the
    concrete path: metrics labelled by it stay few. ``unmatched`` for a 404 of no route."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return str(match.route or match.view_name or "unmatched")


class RequestIdMiddleware:
    """First in the chain: sets the request id for everything after it, echoes it in the
    response and writes the request's log line and latency."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Kept until the response is closed (``request_finished``), not only while the
        # chain runs: Django logs a 4xx/5xx ("Not Found: …") after the middleware returns.
        request_id = request_id_from(request)
        _current.set(request_id)
        started = time.perf_counter()
        response = self.get_response(request)
        seconds = time.perf_counter() - started
        response[HEADER] = request_id
        _observe(request, route_of(request), response.status_code, seconds)
        return response


@receiver(request_finished)
def _request_id_forgotten(**kwargs: object) -> None:
    _current.set(NO_REQUEST)


def _observe(request: HttpRequest, route: str, status: int, seconds: float) -> None:
    from mesoclinic.core import metrics

    metrics.request_observe(method=request.method or "", route=route, seconds=seconds)
    request_logger.info(
        "request",
        extra={
            "method": request.method,
            "route": route,
            "status": status,
            "duration_ms": round(seconds * 1000, 1),
        },
    )


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record (``"-"`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, request_id,
    the ``extra`` fields, and the traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", current_request_id()),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)
