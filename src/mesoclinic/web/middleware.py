"""Request gates for staff sessions: the idle timeout and the second-factor step (issue 12).

Both run after authentication for every request, so every route (staff pages, the API's
session login, Django admin, pages added later) is covered without a decorator.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import Resolver404, resolve, reverse
from django.views.defaults import permission_denied
from django_htmx.http import HttpResponseClientRedirect

from mesoclinic.core import clock
from mesoclinic.core.errors import PermissionDenied as DomainPermissionDenied
from mesoclinic.people.identity import (
    has_second_factor,
    is_staff_member,
    second_factor_pending,
    staff_idle_minutes,
)

LAST_SEEN_KEY = "staff_last_seen"
# The last-seen time is rewritten at most this often, so a busy page does not write the
# session on every request.
LAST_SEEN_GRANULARITY_SECONDS = 60
# Pages a password-only session may still use: the second-factor steps and logging out.
SECOND_FACTOR_OPEN = frozenset(
    {"web:second_factor", "web:two_factor_enrol", "web:recovery_codes", "web:logout"}
)
API_PREFIX = "/api/"

Handler = Callable[[HttpRequest], HttpResponse]


def _redirect(request: HttpRequest, url: str) -> HttpResponse:
    """Redirect the whole page, also when htmx asked for a fragment."""
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(url)
    return HttpResponseRedirect(url)


def _with_next(url_name: str, request: HttpRequest) -> str:
    target = request.get_full_path() if request.method == "GET" else ""
    url = reverse(url_name)
    return f"{url}?{urlencode({'next': target})}" if target and target != "/" else url


class StaffIdleTimeoutMiddleware:
    """Log a staff member out after ``MESOCLINIC_STAFF_IDLE_MINUTES`` without a request.

    A shared clinic computer left logged in should not stay open to the next person. The
    time of the last request is kept in the session (to the minute); the clock is
    ``core.clock``, so tests can move it.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if is_staff_member(user):
            now = int(clock.now().timestamp())
            last_seen = request.session.get(LAST_SEEN_KEY)
            idle_limit = staff_idle_minutes() * 60
            if isinstance(last_seen, int) and now - last_seen > idle_limit:
                request.logout_reason = "idle"  # type: ignore[attr-defined]
                logout(request)
                if not request.path.startswith(API_PREFIX):
                    messages.info(
                        request,
                        "You were logged out after "
                        f"{staff_idle_minutes()} minutes without "
                        "activity. Please log in again.",
                    )
                    return _redirect(request, _with_next("web:login", request))
            elif not isinstance(last_seen, int) or (
                now - last_seen >= LAST_SEEN_GRANULARITY_SECONDS
            ):
                request.session[LAST_SEEN_KEY] = now
        return self.get_response(request)


class SecondFactorMiddleware:
    """Hold a session that has only passed the password at the second-factor step.

    Someone with a confirmed authenticator must give a code (or a recovery code); someone
    who must have one (:func:`~mesoclinic.people.identity.two_factor_required`) and has
    none is sent to enrol first. Nothing else opens until then: staff pages and Django
    admin redirect there, and the API treats the session as not logged in (401). API bearer
    tokens never carry a session, so they are unaffected.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if second_factor_pending(request):
            if request.path.startswith(API_PREFIX):
                request.user = AnonymousUser()
            elif not _open_while_pending(request.path_info):
                step = "web:second_factor" if has_second_factor(request.user) else None
                return _redirect(request, _with_next(step or "web:two_factor_enrol", request))
        return self.get_response(request)


def _open_while_pending(path: str) -> bool:
    try:
        match = resolve(path)
    except Resolver404:
        return False
    return match.view_name in SECOND_FACTOR_OPEN


class RefusalMiddleware:
    """A refusal from a service (:class:`mesoclinic.core.errors.PermissionDenied`) that
    reaches a page uncaught is the plain 403 page, with its message; the API turns the same
    refusals into its JSON envelope itself."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DomainPermissionDenied):
            return permission_denied(request, DjangoPermissionDenied(exception.message))
        return None


class ApiEnvelopeMiddleware:
    """An unknown path or a wrong method under ``/api/v1/`` answers with the API's JSON
    error envelope (404, 405), as every other API error does, instead of an HTML page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith("/api/v1/") or response.status_code not in (404, 405):
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        if response.status_code == 404:
            body = {"code": "not_found", "message": f"No API endpoint at {request.path}."}
        else:
            allowed = response.get("Allow", "")
            body = {
                "code": "method_not_allowed",
                "message": f"{request.method} is not allowed here; use {allowed or 'another'}.",
            }
        answer = JsonResponse({"error": {**body, "details": {}}}, status=response.status_code)
        if response.has_header("Allow"):
            answer["Allow"] = response["Allow"]
        return answer
