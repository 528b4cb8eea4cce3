"""Errors a user can act on: a stable code, a human message and details.

Services raise :class:`DomainError` subclasses; the API turns them into the error
envelope ``{"error": {"code", "message", "details"}}`` with the status they carry,
and forms show the message next to the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class DomainError(Exception):
    """A refusal the caller can explain to a person."""

    status = 422

    def __init__(
        self, code: str, message: str, *, details: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = dict(details or {})


class InvalidInput(DomainError):
    """The request is malformed or names something that does not exist (400)."""

    status = 400


class NotFound(DomainError):
    """The addressed object does not exist (404)."""

    status = 404


class Conflict(DomainError):
    """The request conflicts with the current state, e.g. a slot already taken (409)."""

    status = 409


class RuleRefused(DomainError):
    """Well-formed, but a clinical or business rule refuses it (422)."""

    status = 422


class PermissionDenied(DomainError):
    """The user's role does not allow this (403)."""

    status = 403
