"""Error codes of the safety domain (the ``code`` of the API error envelope)."""

from __future__ import annotations

from enum import StrEnum


class SafetyErrorCode(StrEnum):
    """Why a safety write was refused."""

    UNKNOWN_CONDITION = "unknown_condition"
    UNKNOWN_REASON_CODE = "unknown_reason_code"
    UNKNOWN_PRACTITIONER = "unknown_practitioner"
    INVALID_INPUT = "invalid_input"
    INVALID_DATE = "invalid_date"
    NAIVE_DATETIME = "naive_datetime"
    CONSENT_NOT_ACCEPTED = "consent_not_accepted"
    CONSENT_FORM_CHANGED = "consent_form_changed"
    INVALID_SIGNATURE = "invalid_signature"
    NOT_OVERRIDABLE = "not_overridable"
    NOT_A_PRACTITIONER = "not_a_practitioner"
    NOT_A_CLINICIAN = "not_a_clinician"
    NOT_A_PRESCRIBER = "not_a_prescriber"
