"""The error envelope: ``{"error": {"code", "message", "details"}}`` for every failure."""

from __future__ import annotations

import logging
from typing import Any

from django.db import OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from mesoclinic.core.errors import DomainError
from mesoclinic.people.roles import sees_clinical
from mesoclinic.safety.presentation import screening_for_front_desk

logger = logging.getLogger(__name__)


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def _field_name(location: Any) -> str:
    parts = [str(part) for part in location if part not in ("body", "query", "path", "payload")]
    return ".".join(parts)


def _message(error: dict[str, Any], default: str = "") -> str:
    """pydantic's message, without the "Value error, " it puts before a rule's own words."""
    return str(error.get("msg", default)).removeprefix("Value error, ")


def _validation_message(errors: list[dict[str, Any]]) -> str:
    first = errors[0] if errors else {}
    field = _field_name(first.get("loc", ()))
    message = _message(first, "Invalid input")
    return f"{field}: {message}" if field else message


def install_error_handlers(api: NinjaAPI) -> None:
    """Map every exception the API can meet to the envelope and an honest status."""

    def respond(request: HttpRequest, status: int, body: dict[str, Any]) -> HttpResponse:
        return api.create_response(request, body, status=status)

    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        details = exc.details
        if "reasons" in details and "outcome" in details and not sees_clinical(request.user):
            details = screening_for_front_desk(details)
        return respond(request, exc.status, error_body(exc.code, exc.message, details))

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = [
            {"field": _field_name(error.get("loc", ())), "message": _message(error)}
            for error in exc.errors
        ]
        return respond(
            request,
            400,
            error_body("invalid_input", _validation_message(exc.errors), {"errors": errors}),
        )

    @api.exception_handler(AuthenticationError)
    def authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return respond(
            request,
            401,
            error_body("unauthenticated", "Log in, or send Authorization: Bearer <token>."),
        )

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return respond(request, 404, error_body("not_found", str(exc) or "Not found."))

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        code = {
            400: "invalid_input",
            401: "unauthenticated",
            403: "forbidden",
            404: "not_found",
            405: "method_not_allowed",
        }.get(exc.status_code, "error")
        return respond(request, exc.status_code, error_body(code, str(exc)))

    @api.exception_handler(OperationalError)
    def database_busy(request: HttpRequest, exc: OperationalError) -> HttpResponse:
        logger.warning("Database busy on %s: %s", request.path, exc)
        response = respond(
            request,
            503,
            error_body(
                "database_busy", "The clinic's database is busy; nothing was saved. Try again."
            ),
        )
        response["Retry-After"] = "1"
        return response

    @api.exception_handler(Exception)
    def unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("Unhandled API error on %s", request.path)
        return respond(
            request,
            500,
            error_body("internal_error", "Something went wrong on our side; nothing was saved."),
        )
