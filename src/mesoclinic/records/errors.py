"""Error codes of the records domain (stable snake_case values for the API and tests)."""

from __future__ import annotations

from enum import StrEnum


class RecordError(StrEnum):
    """Why a records write was refused."""

    APPOINTMENT_NOT_FOUND = "appointment_not_found"
    APPOINTMENT_NOT_ACTIVE = "appointment_not_active"
    RECORD_NOT_FOUND = "record_not_found"
    RECORD_SIGNED = "record_signed"
    RECORD_NOT_SIGNED = "record_not_signed"
    NOT_TREATING_PRACTITIONER = "not_treating_practitioner"
    APPOINTMENT_NOT_STARTED = "appointment_not_started"
    RECORD_INCOMPLETE = "record_incomplete"
    UNKNOWN_FORMULATION = "unknown_formulation"
    UNKNOWN_BATCH = "unknown_batch"
    UNKNOWN_LOT = "unknown_lot"
    UNKNOWN_DEVICE = "unknown_device"
    DEVICE_NOT_RESERVED = "device_not_reserved"
    UNKNOWN_REACTION = "unknown_reaction"
    REACTION_NONE_WITH_OTHERS = "reaction_none_with_others"
    BATCH_EXPIRED = "batch_expired"
    BATCH_MISMATCH = "batch_mismatch"
    BATCH_EMPTY = "batch_empty"
    UNITS_REQUIRED = "units_required"
    INVALID_VOLUME = "invalid_volume"
    TOO_MANY_CHART_POINTS = "too_many_chart_points"
    SCREENING_UNRESOLVED = "screening_unresolved"
    TEXT_REQUIRED = "text_required"
    FOLLOW_UP_DONE = "follow_up_done"
    ONSET_IN_FUTURE = "onset_in_future"
    APPOINTMENT_NOT_FOR_CLIENT = "appointment_not_for_client"
    UNSUPPORTED_IMAGE = "unsupported_image"
    IMAGE_TOO_LARGE = "image_too_large"
