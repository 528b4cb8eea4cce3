"""Refusal codes of the catalogue app (the ``code`` of the error envelope)."""

from __future__ import annotations

from enum import StrEnum


class CatalogueErrorCode(StrEnum):
    INVALID_INPUT = "invalid_input"
    PROTOCOL_EXISTS = "protocol_exists"
