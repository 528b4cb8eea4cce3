"""Operational endpoints: ``/healthz`` for load balancers and ``/metrics`` for Prometheus."""

from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse

from mesoclinic.core import metrics
from mesoclinic.core.selectors import migrations_state, worker_state


def healthz(request: HttpRequest) -> JsonResponse:
    """200 ``{"status": "ok", "worker": …, "migrations": …}`` once the database answers,
    else 503 ``{"status": "unavailable"}``.

    ``status`` depends on the database alone (a load balancer keeps sending requests to a
    server whose worker is down: the pages still work); ``worker`` and ``migrations``
    report the background worker's heartbeat and whether migrations are pending.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # any database failure means "not healthy"
        return JsonResponse({"status": "unavailable"}, status=503)
    try:
        worker = worker_state()
        migrations = migrations_state()
    except Exception:  # an unmigrated database has no heartbeat table yet
        worker, migrations = {"status": "unknown", "last_seen": None}, {"status": "unknown"}
    return JsonResponse({"status": "ok", "worker": worker, "migrations": migrations})


def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics; 404 while ``MESOCLINIC_METRICS_TOKEN`` is unset, 401 without
    ``Authorization: Bearer <that token>``."""
    token = metrics.metrics_token()
    if not token:
        raise Http404("metrics are off")
    if not metrics.authorised(request.headers.get("Authorization", ""), token):
        refused = HttpResponse(
            "a bearer token is required\n", status=401, content_type="text/plain"
        )
        refused["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return refused
    body, content_type = metrics.exposition()
    return HttpResponse(body, content_type=content_type)
