"""Refusal codes of retention and erasure (the ``code`` of the error envelope)."""

from __future__ import annotations

from enum import StrEnum


class RetentionErrorCode(StrEnum):
    ALREADY_DECIDED = "erasure_already_decided"
    UPCOMING_APPOINTMENTS = "erasure_upcoming_appointments"
    REFUSAL_REASON_REQUIRED = "erasure_refusal_reason_required"
    NOT_DUE_FOR_DISPOSAL = "not_due_for_disposal"
