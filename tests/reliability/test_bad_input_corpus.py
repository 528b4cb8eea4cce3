"""The bad-input corpus (issue 13): malformed ids, dates out of range, control characters,
lone surrogates and broken uploads sent to every route. None may answer 500; under
``/api/v1/`` every refusal is the JSON error envelope.

Routes are enumerated, not listed: the staff, portal and FHIR pages from the URL resolver,
the API operations from its OpenAPI document, so a route added later is covered too.
"""

from __future__ import annotations

import inspect
import json
import re
from urllib.parse import quote

import pytest
from django.test import Client as HttpClient
from django.urls import URLPattern, URLResolver, get_resolver

from mesoclinic.api.urls import api as ninja_api

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

# Values for ids, codes, dates and text that must be refused politely.
BAD_IDS = ["³", "9" * 25, "-1", "0", "1e3", "%ED%A0%80", "a%00b"]
BAD_QUERY_VALUES = [
    "%ED%A0%80",  # a lone surrogate, as UTF-8 bytes no decoder accepts
    "A%0AB",
    "A%00B",
    "A%05",
    "0001-01-01",
    "9999-12-31",
    "9999-12-31T23:59:59",
    "0001-01-01T00:00:00",
    "³",
    "9" * 25,
    "-1",
    "unknown",
    "x" * 3000,
]
# Raw JSON text, so a lone surrogate can be sent as the escape ``\ud800``.
BAD_JSON_VALUES = [
    r'"\ud800"',
    r'"A\u0005"',
    r'"A\u0000B"',
    '"A\\nB"',
    '"0001-01-01"',
    '"9999-12-31"',
    '"9999-12-31T23:59:59Z"',
    '"³"',
    '"99999999999999999999999"',
    "0",
    "-1",
    "99999999999999999999999",
    "1e309",
    "null",
    "[]",
    "{}",
]

QUERY_NAMES = [
    "date",
    "on",
    "day",
    "start",
    "from",
    "to",
    "after",
    "before",
    "since",
    "until",
    "due_by",
    "site",
    "lot",
    "format",
    "view",
    "q",
    "client",
    "practitioner",
    "treatment",
    "formulation",
    "page",
    "code",
    "scale",
    "outcome",
    "by",
    "next",
    "limit",
]


def _walk(resolver: URLResolver, prefix: str = "") -> dict[str, object]:
    routes: dict[str, object] = {}
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if route.startswith(("admin/", "api/v1/")):
                continue
            routes.update(_walk(entry, route))
        elif isinstance(entry, URLPattern):
            routes.setdefault(route, entry.callback)
    return routes


PAGES = _walk(get_resolver())


def page_routes() -> list[str]:
    return sorted(PAGES)


def _names_read_by(route: str) -> list[str]:
    """The query names the view's module mentions (each is then sent on its own)."""
    callback = PAGES[route]
    module = inspect.getmodule(getattr(callback, "view_class", None) or callback)
    try:
        source = inspect.getsource(module) if module else ""
    except (OSError, TypeError):
        source = ""
    return [name for name in QUERY_NAMES if f'"{name}"' in source]


def _fill(route: str, value: str) -> str:
    path = re.sub(r"<(?:\w+:)?\w+>", value, route)
    return "/" + path.lstrip("^").rstrip("$")


def api_operations() -> list[tuple[str, str, dict]]:
    schema = ninja_api.get_openapi_schema()
    return [
        (method.upper(), path, operation)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
    ]


def _resolve(schema: dict, components: dict) -> dict:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[1]]
    for key in ("allOf", "anyOf"):
        if key in schema and schema[key] and "$ref" in schema[key][0]:
            return _resolve(schema[key][0], components)
    return schema


def _plausible(name: str, schema: dict, ids: dict[str, str]) -> object:
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type") or next(
        (option.get("type") for option in schema.get("anyOf", []) if option.get("type")), None
    )
    fmt = schema.get("format") or next(
        (option.get("format") for option in schema.get("anyOf", []) if option.get("format")),
        None,
    )
    if fmt == "date":
        return "2027-03-10"
    if fmt == "date-time":
        return "2027-03-10T10:00:00Z"
    if kind == "integer":
        return 1
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return False
    if kind == "array":
        return []
    if kind == "object":
        return {}
    for key, value in ids.items():
        if key in name:
            return value
    return "text"


def body_variants(operation: dict, ids: dict[str, str]) -> list[str]:
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return []
    components = ninja_api.get_openapi_schema()["components"]["schemas"]
    schema = _resolve(content["application/json"]["schema"], components)
    properties = schema.get("properties", {})
    base = {
        name: _plausible(name, _resolve(prop, components), ids) for name, prop in properties.items()
    }
    variants = []
    for name in properties:
        for bad in BAD_JSON_VALUES:
            fields = [f"{json.dumps(k)}: {json.dumps(v)}" for k, v in base.items() if k != name]
            fields.append(f"{json.dumps(name)}: {bad}")
            variants.append("{" + ", ".join(fields) + "}")
    variants += ["", "{", "[]", '"\\ud800"', "null"]
    return variants


@pytest.fixture
def staff_browser(demo):
    from django.contrib.auth import get_user_model

    browser = HttpClient(raise_request_exception=False)
    browser.force_login(get_user_model().objects.get(username="dr-patel"))
    return browser


@pytest.fixture
def demo_ids(demo) -> dict[str, str]:
    from mesoclinic.catalogue.models import Formulation, Treatment
    from mesoclinic.people.models import Client, Practitioner

    return {
        "treatment": Treatment.objects.order_by("pk").first().code,
        "practitioner": Practitioner.objects.order_by("pk").first().code,
        "formulation": Formulation.objects.order_by("pk").first().code,
        "client": str(Client.objects.order_by("pk").first().pk),
        "site": "london",
        "email": "someone@example.com",
        "name": "Ada",
    }


def _send(browser: HttpClient, method: str, path: str, **extra):
    if method == "GET":
        return browser.get(path, **extra)
    return browser.generic(method, path, **extra)


def _requests_for_page(route: str):
    for bad_id in BAD_IDS:
        yield "GET", _fill(route, bad_id), {}
    path = _fill(route, "1") if "<" in route else _fill(route, "")
    for value in BAD_QUERY_VALUES:
        query = "&".join(f"{name}={value}" for name in QUERY_NAMES)
        yield "GET", f"{path}?{query}", {}
        form = "&".join(f"{name}={value}" for name in [*QUERY_NAMES, "text", "email", "note"])
        yield (
            "POST",
            path,
            {"data": form, "content_type": "application/x-www-form-urlencoded"},
        )
        for name in _names_read_by(route):
            yield "GET", f"{path}?{name}={value}", {}
    yield "POST", path, {"data": b"--x\r\n", "content_type": "multipart/form-data"}
    yield "POST", path, {"data": b"garbage", "content_type": "multipart/form-data; boundary="}


def _requests_for_operation(method: str, path: str, operation: dict, ids: dict[str, str]):
    parameters = operation.get("parameters", [])
    path_names = [p["name"] for p in parameters if p["in"] == "path"]
    query_names = [p["name"] for p in parameters if p["in"] == "query"]

    def with_path(value: str) -> str:
        url = path
        for name in path_names:
            plausible = next((v for k, v in ids.items() if k in name), "1")
            url = url.replace("{" + name + "}", value if value is not None else plausible)
        return url

    for bad_id in BAD_IDS:
        yield method, with_path(bad_id), {}
    good = with_path(None)
    for value in BAD_QUERY_VALUES:
        for name in query_names:
            others = "&".join(
                f"{other}={quote(str(_plausible(other, {}, ids)))}"
                for other in query_names
                if other != name
            )
            yield method, f"{good}?{name}={value}&{others}", {}
    if method != "GET":
        for raw in body_variants(operation, ids):
            yield method, good, {"data": raw, "content_type": "application/json"}
        yield method, good, {"data": b"--x\r\n", "content_type": "multipart/form-data"}


def _check(response, method: str, path: str, failures: list[str]) -> None:
    if response.status_code >= 500:
        failures.append(f"{response.status_code} {method} {path[:160]}")
        return
    if path.startswith("/api/v1/") and response.status_code >= 400:
        try:
            body = json.loads(response.content)
            assert set(body["error"]) >= {"code", "message", "details"}
        except (ValueError, KeyError, TypeError, AssertionError):
            failures.append(f"no envelope {response.status_code} {method} {path[:160]}")


@pytest.mark.parametrize("route", page_routes())
def test_no_page_answers_500_to_bad_input(route, staff_browser, demo_ids):
    failures: list[str] = []
    anonymous = HttpClient(raise_request_exception=False)
    for browser in (anonymous, staff_browser):
        for method, path, extra in _requests_for_page(route):
            _check(_send(browser, method, path, **extra), method, path, failures)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    ("method", "path"), [(method, path) for method, path, _ in api_operations()]
)
def test_no_api_operation_answers_500_to_bad_input(method, path, demo_ids):
    from mesoclinic.people.services import api_token_create

    operation = next(op for m, p, op in api_operations() if (m, p) == (method, path))
    token = api_token_create(username="dr-patel")
    failures: list[str] = []
    browser = HttpClient(raise_request_exception=False)
    for verb, url, extra in _requests_for_operation(method, path, operation, demo_ids):
        response = _send(browser, verb, url, headers={"Authorization": f"Bearer {token}"}, **extra)
        _check(response, verb, url, failures)
    assert not failures, "\n".join(failures)
