"""Role × route matrix: every web route and API operation, called as every kind of user.

Each route is classified (public, staff, clinical, admin, portal-own-data): web views by the
``access`` attribute that ``mesoclinic.web.permissions`` sets, API operations and the few
undecorated web routes by the tables below. A route nobody classified fails the suite, so
a new page or operation cannot ship without saying who may use it.

Refused means 401/403 (or, for a web page, a redirect to a login page); allowed means
anything else (400/404/422 from the empty or made-up input is fine: the access check was
passed). Object rules (the treating practitioner, own calendar) are tested elsewhere; here
the practitioner acts on nurse-lewis's own objects, and the expectations say so.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client as HttpClient
from django.urls import URLPattern, URLResolver, get_resolver
from tests.portal.accounts import verified_client_account
from tests.records.factories import book

from mesoclinic.api.urls import api
from mesoclinic.catalogue.models import Batch
from mesoclinic.core import clock
from mesoclinic.people.models import Client, Practitioner
from mesoclinic.people.roles import Access
from mesoclinic.people.services import api_token_create
from mesoclinic.records.services.treatment_records import record_save
from mesoclinic.scheduling.services import absence_record

ANONYMOUS, RECEPTION, ADMIN, PRACTITIONER, PORTAL_CLIENT = (
    "anonymous",
    "reception",
    "admin",
    "practitioner",
    "portal_client",
)
ROLES = (ANONYMOUS, RECEPTION, ADMIN, PRACTITIONER, PORTAL_CLIENT)
USERNAMES = {RECEPTION: "reception", ADMIN: "admin", PRACTITIONER: "nurse-lewis"}
PORTAL_EMAIL = "matrix.client@example.com"

ALLOWED: dict[Access, frozenset[str]] = {
    Access.PUBLIC: frozenset(ROLES),
    Access.STAFF: frozenset({RECEPTION, ADMIN, PRACTITIONER}),
    Access.CLINICAL: frozenset({PRACTITIONER}),
    Access.ADMIN: frozenset({ADMIN}),
    Access.PORTAL: frozenset({PORTAL_CLIENT}),
}
# Absences: the manager, or a practitioner in their own calendar (the practitioner here acts
# on nurse-lewis's own calendar, so she passes; reception is refused by the object rule).
OWN_CALENDAR = frozenset({ADMIN, PRACTITIONER})


@dataclass(frozen=True)
class Rule:
    """Who may use a route: its class, or an explicit set of roles where an object rule
    narrows the class (with the reason), and path parameters that need a particular value."""

    access: Access
    allowed: frozenset[str] | None = None
    reason: str = ""
    params: dict[str, str] = field(default_factory=dict)

    def roles(self) -> frozenset[str]:
        return self.allowed if self.allowed is not None else ALLOWED[self.access]


S, C, A = Access.STAFF, Access.CLINICAL, Access.ADMIN
CALENDAR = Rule(S, OWN_CALENDAR, "absences: admin, or the practitioner's own calendar")

# --- API operations, keyed by (method, path template) from /api/v1/openapi.json ---------------
API_RULES: dict[tuple[str, str], Rule] = {
    ("GET", "/api/v1/treatments"): Rule(S),
    ("GET", "/api/v1/protocols"): Rule(S),
    ("GET", "/api/v1/practitioners"): Rule(S),
    ("GET", "/api/v1/formulations"): Rule(S),
    ("GET", "/api/v1/scales"): Rule(S),
    ("POST", "/api/v1/clients"): Rule(S),
    ("GET", "/api/v1/clients"): Rule(S),
    ("GET", "/api/v1/clients/{client_id}"): Rule(S),
    ("PATCH", "/api/v1/clients/{client_id}"): Rule(S),
    ("GET", "/api/v1/reports/summary"): Rule(A),
    ("POST", "/api/v1/waitlist"): Rule(S),
    ("GET", "/api/v1/waitlist/{entry_id}"): Rule(S),
    ("POST", "/api/v1/waitlist/{entry_id}/accept"): Rule(S),
    ("POST", "/api/v1/clients/{client_id}/questionnaires"): Rule(C),
    ("GET", "/api/v1/clients/{client_id}/questionnaires"): Rule(C),
    ("POST", "/api/v1/screenings"): Rule(S),
    ("GET", "/api/v1/consent-forms"): Rule(S),
    ("POST", "/api/v1/clients/{client_id}/consents"): Rule(C),
    ("GET", "/api/v1/clients/{client_id}/consents"): Rule(C),
    ("POST", "/api/v1/clients/{client_id}/overrides"): Rule(C),
    ("GET", "/api/v1/clients/{client_id}/overrides"): Rule(C),
    ("POST", "/api/v1/clients/{client_id}/prescriptions"): Rule(C),
    ("GET", "/api/v1/clients/{client_id}/prescriptions"): Rule(C),
    ("POST", "/api/v1/clients/{client_id}/toxin-history"): Rule(C),
    ("GET", "/api/v1/clients/{client_id}/toxin-history"): Rule(C),
    ("GET", "/api/v1/availability"): Rule(S),
    ("POST", "/api/v1/appointments"): Rule(S),
    ("GET", "/api/v1/appointments"): Rule(S),
    ("GET", "/api/v1/appointments/{appointment_id}.ics"): Rule(S),
    ("GET", "/api/v1/appointments/{appointment_id}"): Rule(S),
    ("POST", "/api/v1/appointments/{appointment_id}/cancel"): Rule(S),
    ("POST", "/api/v1/appointments/{appointment_id}/no-show"): Rule(S),
    ("POST", "/api/v1/appointments/{appointment_id}/reschedule"): Rule(S),
    ("POST", "/api/v1/courses/plan"): Rule(S),
    ("POST", "/api/v1/courses"): Rule(S),
    ("GET", "/api/v1/courses/{course_id}"): Rule(S),
    ("POST", "/api/v1/courses/{course_id}/cancel"): Rule(S),
    ("POST", "/api/v1/courses/{course_id}/replan"): Rule(S),
    ("POST", "/api/v1/practitioners/{code}/absences"): CALENDAR,
    ("GET", "/api/v1/practitioners/{code}/absences/{absence_id}/replan"): CALENDAR,
    ("POST", "/api/v1/practitioners/{code}/absences/{absence_id}/replan"): CALENDAR,
    ("GET", "/api/v1/practitioners/{code}/calendar.ics"): Rule(S),
    # The record routes act on nurse-lewis's own appointment: the treating practitioner.
    ("POST", "/api/v1/appointments/{appointment_id}/record"): Rule(C),
    ("GET", "/api/v1/appointments/{appointment_id}/record"): Rule(C),
    ("GET", "/api/v1/records/{record_id}"): Rule(C),
    ("POST", "/api/v1/records/{record_id}/sign"): Rule(C),
    ("POST", "/api/v1/records/{record_id}/addenda"): Rule(C),
    ("GET", "/api/v1/clients/{client_id}/records"): Rule(C),
    ("GET", "/api/v1/sign-offs"): Rule(C),
    ("POST", "/api/v1/sign-offs/{sign_off_id}/approve"): Rule(C),
    ("POST", "/api/v1/sign-offs/{sign_off_id}/return"): Rule(C),
    ("GET", "/api/v1/follow-ups"): Rule(C),
    ("POST", "/api/v1/follow-ups/{follow_up_id}/complete"): Rule(C),
    ("POST", "/api/v1/adverse-events"): Rule(C),
    ("GET", "/api/v1/adverse-events/{event_id}"): Rule(C),
    ("GET", "/api/v1/adverse-events/{event_id}/yellow-card"): Rule(C),
    ("POST", "/api/v1/clients/{client_id}/assessments"): Rule(C),
    ("GET", "/api/v1/clients/{client_id}/assessments"): Rule(C),
    ("GET", "/api/v1/clients/{client_id}/maintenance"): Rule(C),
    ("POST", "/api/v1/assessments/{assessment_id}/photos"): Rule(C),
    ("GET", "/api/v1/photos/{photo_id}"): Rule(C),
    ("POST", "/api/v1/batches"): Rule(A),
    # Lots and expiry dates only (no client data): practitioners pick lots when recording.
    ("GET", "/api/v1/batches"): Rule(S, reason="lot list, needed to record products"),
    ("POST", "/api/v1/batches/{lot}/discard"): Rule(A),
    ("GET", "/api/v1/batches/{lot}/movements"): Rule(A),
    ("GET", "/api/v1/batches/{lot}/recipients"): Rule(A),
    ("POST", "/api/v1/batches/{lot}/contacts"): Rule(A),
    ("GET", "/api/v1/clients/{client_id}/account"): Rule(S),
    ("POST", "/api/v1/clients/{client_id}/packages"): Rule(S),
    ("POST", "/api/v1/clients/{client_id}/credit"): Rule(S),
    ("POST", "/api/v1/vouchers"): Rule(S),
    ("POST", "/api/v1/clients/{client_id}/packages/{package_id}/refund"): Rule(S),
    ("POST", "/api/v1/vouchers/{code}/void"): Rule(S),
    ("POST", "/api/v1/appointments/{appointment_id}/voucher"): Rule(S),
    ("POST", "/api/v1/appointments/{appointment_id}/credit"): Rule(S),
}

# --- Web routes without an ``access`` attribute (they check for themselves) ------------------
P, PORTAL = Access.PUBLIC, Access.PORTAL
TREATMENT = {"code": "face-revitalise"}
WEB_RULES: dict[str, Rule] = {
    "healthz": Rule(P, reason="load balancer health check"),
    "metrics": Rule(
        P, reason="checks its own bearer token (MESOCLINIC_METRICS_TOKEN); off by default"
    ),
    "api/v1/openapi.json": Rule(P, reason="the API's description, no data"),
    "api/v1/docs": Rule(P, reason="the API's description, no data"),
    "fhir/r4/Patient/<str:client_id>/$everything": Rule(
        C, reason="checks a bearer token or staff session, then clinical access, itself"
    ),
    "fhir/r4/CodeSystem/<str:name>": Rule(
        P, reason="the clinic's code systems: reference data", params={"name": "treatment"}
    ),
    "login/": Rule(P, reason="staff login"),
    "login/code/": Rule(P, reason="login step: redirects to login without a pending user"),
    "login/authenticator/": Rule(P, reason="login step: redirects without a pending user"),
    "login/recovery-codes/": Rule(P, reason="login step: redirects without a pending user"),
    "logout/": Rule(P, reason="logging out"),
    "book/": Rule(P, reason="public booking"),
    "book/check-email/": Rule(P, reason="public booking: 'check your email' page"),
    "book/<slug:code>/": Rule(P, reason="public booking", params=TREATMENT),
    "book/<slug:code>/times/": Rule(P, reason="public booking", params=TREATMENT),
    "book/<slug:code>/details/": Rule(P, reason="public booking", params=TREATMENT),
    "account/login/": Rule(P, reason="client login"),
    "account/logout/": Rule(P, reason="client logout"),
    "account/signup/": Rule(P, reason="client sign-up"),
    "account/verify/<str:token>/": Rule(P, reason="emailed link; the token is the proof"),
    "account/password-reset/": Rule(P, reason="client password reset"),
    "account/password-reset/<str:token>/": Rule(P, reason="emailed link; the token is proof"),
    "book/done/<int:appointment_id>/": Rule(PORTAL, reason="client_required; own booking"),
    "account/": Rule(PORTAL, reason="client_required"),
    "account/questionnaire/": Rule(PORTAL, reason="client_required"),
    "account/consent/<slug:code>/": Rule(PORTAL, reason="client_required", params=TREATMENT),
    "account/appointments/<int:appointment_id>/cancel/": Rule(
        PORTAL, reason="client_required; the client's own appointment"
    ),
    "account/appointments/<int:appointment_id>/move/": Rule(
        PORTAL, reason="client_required; the client's own appointment"
    ),
    "account/appointments/<int:appointment_id>/deposit/": Rule(
        PORTAL, reason="client_required; the client's own appointment"
    ),
    "account/deposit/<str:intent_id>/": Rule(
        PORTAL, reason="client_required; the client's own payment", params={"intent_id": "x"}
    ),
    "pay/sandbox/<str:intent_id>/": Rule(
        P,
        reason="the demo's sandbox checkout; the unguessable intent id is the key",
        params={"intent_id": "x"},
    ),
    "waitlist/offer/<str:token>/": Rule(P, reason="emailed offer link; the token is proof"),
    "waitlist/offer/<str:token>/<str:action>/": Rule(
        P, reason="emailed offer link; the token is proof", params={"action": "accept"}
    ),
    "account/my-data.json": Rule(PORTAL, reason="client_required"),
    "account/my-data.pdf": Rule(PORTAL, reason="client_required"),
    "account/erase/": Rule(PORTAL, reason="client_required; the client's own erasure request"),
    "account/money/": Rule(PORTAL, reason="client_required; the client's own account"),
}
# Decorated web routes whose expectation an object rule narrows, or that need a given code.
WEB_OVERRIDES: dict[str, Rule] = {
    "practitioners/<slug:code>/absences/new/": CALENDAR,
    "absences/<int:absence_id>/replan/": CALENDAR,
    "treatments/<slug:code>/": Rule(S, params=TREATMENT),
    "formulations/<slug:code>/": Rule(S, params={"code": "revitalise-cocktail"}),
    "settings/treatments/<slug:code>/": Rule(A, params=TREATMENT),
    "settings/consent-forms/<slug:code>/": Rule(A, params=TREATMENT),
    "settings/staff/<int:user_id>/": Rule(A, params={"user_id": "987654"}),
    "settings/staff/<int:user_id>/active/": Rule(A, params={"user_id": "987654"}),
    "clients/<int:client_id>/consents/<slug:treatment_code>/": Rule(
        C, params={"treatment_code": "face-revitalise"}
    ),
    "retention/requests/<int:request_id>/": Rule(A, params={"request_id": "987654"}),
}
# Django admin (is_staff is set for the admin role only): one admin-class entry, a few URLs.
DJANGO_ADMIN_URLS = ("/admin/", "/admin/scheduling/appointment/", "/admin/auth/user/")
# Parts of the URL map that are not routes of their own.
API_CATCH_ALL = "api/v1/"  # the JSON 404/405 envelope for unknown API paths


def _walk(resolver: URLResolver, prefix: str = ""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def _api_template(route: str) -> str:
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)


SCHEMA = api.get_openapi_schema()


def _api_operations() -> list[tuple[str, str]]:
    return [(method.upper(), path) for path, ops in SCHEMA["paths"].items() for method in ops]


def _example(schema: dict[str, Any]) -> Any:
    """A value that passes the schema's validation: django-ninja validates the body before
    the handler runs, so an empty body would be refused (400/422) before the access check
    and hide a missing one."""
    if "$ref" in schema:
        return _example(SCHEMA["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]])
    for key in ("anyOf", "oneOf", "allOf"):
        # (an object's own alternatives between its fields: its properties say enough)
        if key in schema and schema.get("type") != "object":
            return _example(schema[key][0])
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties", {})
        return {name: _example(props[name]) for name in schema.get("required", [])}
    if kind == "array":
        return []
    if kind in ("integer", "number"):
        return 1
    if kind == "boolean":
        return False
    pattern = schema.get("pattern")
    if pattern and not re.fullmatch(pattern, "x"):
        # a date or date-time, stated by its pattern (the years 1900-2100)
        for sample in ("2027-03-05", "2027-03-05T10:00:00+00:00"):
            if re.fullmatch(pattern, sample):
                return sample
    return {"date": "2027-03-05", "date-time": "2027-03-05T10:00:00+00:00"}.get(
        schema.get("format", ""), "x"
    )


def _query(method: str, path: str) -> dict[str, Any]:
    """The required query parameters, for the same reason as :func:`_example`."""
    operation = SCHEMA["paths"][path][method.lower()]
    return {
        p["name"]: _example(p["schema"])
        for p in operation.get("parameters", [])
        if p["in"] == "query" and p.get("required")
    }


def _send(http: HttpClient, method: str, path: str, url: str, headers: dict[str, str]):
    """Call the operation with a body (JSON or multipart) that passes its schema."""
    url = f"{url}?{urlencode(_query(method, path))}" if _query(method, path) else url
    if method == "GET":
        return http.get(url, headers=headers)
    content = SCHEMA["paths"][path][method.lower()].get("requestBody", {}).get("content", {})
    if "multipart/form-data" in content:
        form = _example(content["multipart/form-data"]["schema"])
        files = {
            name: SimpleUploadedFile(f"{name}.jpg", b"not really a photo", "image/jpeg")
            for name, spec in content["multipart/form-data"]["schema"]["properties"].items()
            if spec.get("format") == "binary"
        }
        return http.post(url, {**form, **files}, headers=headers)
    body = _example(content["application/json"]["schema"]) if content else {}
    return http.generic(method, url, json.dumps(body), "application/json", headers=headers)


def _web_routes() -> dict[str, Rule]:
    """Every web route with its rule; unclassified ones are collected, not guessed."""
    api_paths = {path for _, path in _api_operations()}
    routes: dict[str, Rule] = {}
    for route, view in _walk(get_resolver()):
        if route.startswith("admin/") or route == API_CATCH_ALL:
            continue
        if route.startswith("api/v1/") and _api_template(route) in api_paths:
            continue  # an API operation: classified in API_RULES
        access = getattr(view, "access", None)
        if route in WEB_RULES:
            routes[route] = WEB_RULES[route]
        elif access is not None:
            routes[route] = WEB_OVERRIDES.get(route, Rule(Access(access)))
        else:
            routes[route] = Rule(Access.PUBLIC, frozenset(), reason="UNCLASSIFIED")
    return routes


WEB_ROUTES = _web_routes()
API_OPERATIONS = _api_operations()


def test_every_route_is_classified():
    """A new web route or API operation must say who may use it."""
    unclassified_web = sorted(r for r, rule in WEB_ROUTES.items() if rule.reason == "UNCLASSIFIED")
    unclassified_api = sorted(f"{m} {p}" for m, p in API_OPERATIONS if (m, p) not in API_RULES)
    stale = sorted(f"{m} {p}" for m, p in API_RULES if (m, p) not in API_OPERATIONS)
    stale += sorted(r for r in [*WEB_RULES, *WEB_OVERRIDES] if r not in WEB_ROUTES)
    assert unclassified_web == [], f"web routes with no access class: {unclassified_web}"
    assert unclassified_api == [], f"API operations with no access class: {unclassified_api}"
    assert stale == [], f"classified routes that no longer exist: {stale}"


# --- The people and objects the routes are called with --------------------------------------


@dataclass
class World:
    params: dict[str, str]
    tokens: dict[str, str]
    users: dict[str, Any]


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The demo clinic plus, for the whole module (rolled back at its end): a portal client
    linked to a demo client, an appointment of that client with nurse-lewis, her draft record
    of it, and an absence in her calendar. Other objects get a made-up id: every handler
    checks access before it looks the object up (the matrix would catch one that did not:
    its 404 would be read as letting a refused role in)."""
    from django.contrib.auth import get_user_model

    users_get = get_user_model().objects.get_by_natural_key
    with django_db_blocker.unblock(), transaction.atomic():
        client = Client.objects.get(email="amelia.hart@example.com")
        account = verified_client_account(email=PORTAL_EMAIL, password="matrix-pass-1")
        account.client = client
        account.save(update_fields=["client"])
        appointment = book(practitioner="nurse-lewis", client_email=client.email)
        lewis = Practitioner.objects.get(code="nurse-lewis")
        start = dt.datetime.combine(
            clock.today() + dt.timedelta(days=40), dt.time(9), tzinfo=dt.UTC
        )
        absence = absence_record(
            actor=None, practitioner=lewis, starts_at=start, ends_at=start + dt.timedelta(hours=3)
        )
        record = record_save(
            actor=users_get("nurse-lewis"),
            appointment=appointment,
            products=[],
            areas=[],
            numbing_used=False,
        )  # a draft of nurse-lewis's own: she is its treating practitioner
        batch = Batch.objects.order_by("pk").first()
        assert batch is not None
        users = {role: users_get(name) for role, name in USERNAMES.items()}
        users[PORTAL_CLIENT] = account.user
        tokens = {role: api_token_create(username=name) for role, name in USERNAMES.items()}
        made_up = "987654"  # no such object: a 404, after the access check
        params = {
            "client_id": str(client.pk),
            "appointment_id": str(appointment.pk),
            "course_id": made_up,
            "code": "nurse-lewis",
            "absence_id": str(absence.pk),
            "record_id": str(record.pk),
            "follow_up_id": made_up,
            "sign_off_id": made_up,
            "event_id": made_up,
            "assessment_id": made_up,
            "photo_id": made_up,
            "consent_id": made_up,
            "batch_id": str(batch.pk),
            "lot": batch.lot,
            "token": "not-a-real-token",
            "entry_id": made_up,
            "run_id": made_up,
            "package_id": made_up,
            "voucher_id": made_up,
        }
        yield World(params=params, tokens=tokens, users=users)
        transaction.set_rollback(True)


def _fill(template: str, world: World, rule: Rule) -> str:
    values = {**world.params, **rule.params}
    return re.sub(r"[{<](?:\w+:)?(\w+)[}>]", lambda m: values[m.group(1)], template)


def _refused(response, *, web: bool) -> bool:
    if response.status_code in (401, 403):
        return True
    return web and response.status_code == 302 and "login" in response["Location"]


def _expect(response, *, role: str, rule: Rule, web: bool, what: str) -> None:
    allowed = role in rule.roles()
    refused = _refused(response, web=web)
    if rule.access is Access.PUBLIC:
        refused = response.status_code in (401, 403)
    detail = f"{what} as {role}: {response.status_code} {response.get('Location', '')}"
    if allowed:
        assert not refused, f"refused a role it should allow: {detail}"
    else:
        assert refused, f"let in a role it should refuse: {detail}"


# --- API --------------------------------------------------------------------------------------


def _api_cases():
    for method, path in API_OPERATIONS:
        for role in ROLES:
            yield pytest.param(method, path, role, id=f"{method} {path} [{role}]")


@pytest.mark.parametrize(("method", "path", "role"), list(_api_cases()))
def test_api_operation(world, db, method, path, role):
    rule = API_RULES.get((method, path))
    if rule is None:
        pytest.fail(f"{method} {path} is not classified (see test_every_route_is_classified)")
    http = HttpClient()
    headers = {}
    if role in world.tokens:
        headers["Authorization"] = f"Bearer {world.tokens[role]}"
    elif role == PORTAL_CLIENT:
        http.force_login(world.users[role])  # a client's portal session, no token
    url = _fill(path, world, rule)
    response = _send(http, method, path, url, headers)
    _expect(response, role=role, rule=rule, web=False, what=f"{method} {url}")


# --- Web pages ----------------------------------------------------------------------------


def _web_cases():
    for route in WEB_ROUTES:
        for role in ROLES:
            yield pytest.param(route, role, id=f"/{route} [{role}]")


def _web_client(world: World, role: str) -> HttpClient:
    http = HttpClient()
    if role != ANONYMOUS:
        http.force_login(world.users[role])
    return http


@pytest.mark.parametrize(("route", "role"), list(_web_cases()))
def test_web_route(world, db, route, role):
    rule = WEB_ROUTES[route]
    if rule.reason == "UNCLASSIFIED":
        pytest.fail(f"/{route} is not classified (see test_every_route_is_classified)")
    http = _web_client(world, role)
    url = "/" + _fill(route, world, rule)
    response = http.get(url)
    if response.status_code == 405:  # a POST-only page: the empty form is refused or not
        response = http.post(url, {})
    _expect(response, role=role, rule=rule, web=True, what=f"GET {url}")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("url", DJANGO_ADMIN_URLS)
def test_django_admin(world, db, url, role):
    """Django admin is for the admin role only (the only role with ``is_staff``)."""
    response = _web_client(world, role).get(url)
    _expect(response, role=role, rule=Rule(Access.ADMIN), web=True, what=f"GET {url}")
