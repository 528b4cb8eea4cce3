"""The request gate of issue 13: malformed input is a 400 before any view sees it.

Control characters in a query string or a form field, a lone surrogate, and a multipart
body without its boundary are refused here, once, for every route: under ``/api/`` with
the error envelope, elsewhere with a plain 400 page. A service's :class:`NotFound` or
:class:`InvalidInput` that reaches a page uncaught becomes the 404 or 400 page, never a 500.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.views.defaults import bad_request, page_not_found

from mesoclinic.core.errors import InvalidInput, NotFound
from mesoclinic.core.validation import text_problem

API_PREFIX = "/api/"
Handler = Callable[[HttpRequest], HttpResponse]


def refusal(request: HttpRequest, code: str, message: str, status: int = 400) -> HttpResponse:
    """The 4xx answer for ``request``: the envelope under /api/, a plain page elsewhere."""
    if request.path.startswith(API_PREFIX):
        body = {"error": {"code": code, "message": message, "details": {}}}
        return JsonResponse(body, status=status)
    if status == 404:
        return page_not_found(request, Exception(message))
    return bad_request(request, BadRequest(message))


def _query_problem(request: HttpRequest) -> str | None:
    if text_problem(request.path):
        return "The path contains a control character."
    raw = request.META.get("QUERY_STRING", "")
    if not raw:
        return None
    try:
        unquote_to_bytes(raw.replace("+", " ")).decode("utf-8")
    except UnicodeDecodeError:
        return "The query string is not valid UTF-8."
    for name, values in request.GET.lists():
        for value in [name, *values]:
            if text_problem(value):
                return f"The query parameter {name[:40]!r} contains a control character."
    return None


def _string_problem(data: object, where: str = "") -> str | None:
    """The first string (key or value) in parsed JSON with a control character (tab, CR
    and newline allowed) or a lone surrogate."""
    if isinstance(data, str):
        problem = text_problem(data, multiline=True)
        return f"{where or 'The body'}: {problem}." if problem else None
    if isinstance(data, dict):
        for key, value in data.items():
            if text_problem(str(key)):
                return "A field name contains an invalid character."
            found = _string_problem(value, f"{where}.{key}" if where else str(key))
            if found:
                return found
    if isinstance(data, list):
        for index, value in enumerate(data):
            found = _string_problem(value, f"{where}[{index}]")
            if found:
                return found
    return None


def _body_problem(request: HttpRequest) -> str | None:
    content_type = request.META.get("CONTENT_TYPE", "")
    if content_type.startswith("application/json") and request.path.startswith(API_PREFIX):
        try:
            data = json.loads(request.body or b"null")
        except (ValueError, RecursionError):
            return None  # the API answers a body it cannot parse itself (400)
        return _string_problem(data)
    if content_type.startswith("multipart/"):
        boundary = content_type.partition("boundary=")[2].strip().strip('"')
        if not boundary:
            return "A multipart body needs a boundary in its Content-Type."
    if request.method != "POST" or not content_type.startswith(
        ("multipart/form-data", "application/x-www-form-urlencoded")
    ):
        return None
    try:
        fields = request.POST
    except (MultiPartParserError, UnicodeDecodeError, ValueError):
        return "The form body could not be read."
    for name, values in fields.lists():
        if text_problem(name):
            return "A form field name contains a control character."
        for value in values:
            if text_problem(value, multiline=True):
                return f"The field {name[:40]!r} contains a control character."
    return None


class InputGuardMiddleware:
    """Answer 400 for control characters and broken bodies; NotFound/InvalidInput from a
    page become the 404/400 page (the API maps them to its envelope itself)."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        problem = _query_problem(request) or _body_problem(request)
        if problem:
            return refusal(request, "invalid_input", problem)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, NotFound):
            return refusal(request, exception.code, exception.message, 404)
        if isinstance(exception, InvalidInput):
            return refusal(request, exception.code, exception.message, 400)
        if isinstance(exception, MultiPartParserError):
            return refusal(request, "invalid_input", "The form body could not be read.")
        return None
