"""schemathesis hooks for tests/reliability/test_api_fuzz.py (loaded via SCHEMATHESIS_HOOKS).

"Schema-valid request rejected" (ST202) is checked as schemathesis does, with one
difference: a refusal that no OpenAPI schema can state is accepted, when the server answers
it with the error envelope and one of the codes named below. Everything a schema can say
(codes, enums, date ranges, patterns, required fields) the document says instead
(mesoclinic/api/openapi.py), so a request it calls valid is accepted or refused only for
these reasons. Each entry says why no schema can state it.
"""

from __future__ import annotations

import json
from typing import Any

import schemathesis
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import positive_data_acceptance

# 422: well-formed, refused by a clinical or business rule (api-contract.md: 422).
RULE_REFUSALS = {
    # relative to today, which a fixed document cannot name
    "onset_in_future": "an adverse event's onset after today",
    "invalid_date": "answers, a consultation or a toxin dose dated after today",
    "invalid_birth_date": "a birth date after today or over 120 years ago",
    "appointment_not_started": "a no-show or signature before the appointment's start",
    "start_in_past": "a booking or reschedule to a time already gone",
    "invalid_expiry": "a gift voucher expiring before today",
    "voucher_expired": "a gift voucher redeemed after its expiry",
    # the state of the clinic at the time of the request
    "outside_course_window": "a course session moved outside its window (contract: 422)",
    "screening_refused": "the client's screening refuses the treatment (contract: 422)",
    "not_a_prescriber": "no prescribing qualification on that date (contract: 422)",
    "appointment_not_active": "the appointment is already cancelled or done",
    "outside_opening_hours": "the site is closed at that time",
    "off_grid": "a start off the site's booking grid",
    "unsuitable_device": "a device of another type or site than the treatment needs",
    "consent_form_changed": "a consent signed against a form version no longer current",
    "batch_expired": "a product line from an expired batch (contract: 422)",
    "batch_mismatch": "a lot of another formulation than the line names (contract: 422)",
    "screening_unresolved": "a record for a client whose screening is unresolved (contract: 422)",
    "record_incomplete": "signing a record without its products and areas (contract: 422)",
    "device_not_reserved": "a record naming a device other than the one the session reserved",
    "batch_empty": "a product line using more than the lot has on hand",
    "adverse_event_threshold": "a follow-up calling expected a session whose reactions need a report",
    # a relation between two fields of one body
    "too_many_chart_points": "more points charted on an area than its injection points",
    "device_required": "a session given by device that names no device",
    "delivery_mismatch": "an area given by device in a session recorded as freehand",
    "bruise_size_mismatch": "a bruise's size in cm and the size among the reactions disagree",
    # what the bytes of an upload are, which a schema (format: binary) cannot say
    "unsupported_image": "an upload that is not a readable JPEG or PNG",
}
# 400 where api-contract.md (or docs/, for the reactions) fixes 400 for a rule between
# fields or between values of one field (kept at 400, see there).
CONTRACT_400 = {
    # from/to order and span, a closed range when nothing else filters, an absence within
    # one year back and two years ahead (contract: 400): relations between two values
    "invalid_range": "a relation between two dates, or between a date and today",
    # the components a scale needs depend on the scale named beside them (contract: 400)
    "missing_component": "a component the named scale requires",
    "unknown_component": "a component the named scale does not have",
    "component_out_of_range": "a value out of the named component's range",
    "component_not_allowed": "a value of the wrong kind for the named component",
    # values of one list that exclude each other (docs/practice.md: 400); "none" standing
    # alone is in the schema, "at most one of three" would need contains/maxContains
    "bruise_sizes_conflict": "two bruise sizes among one record's reactions",
}


def _envelope_code(response: Any) -> str | None:
    try:
        body = json.loads(response.content)
    except (ValueError, TypeError):
        return None
    error = body.get("error") if isinstance(body, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return code if isinstance(code, str) else None


def documented_refusal(response: Any) -> bool:
    """A 422 rule refusal or a contract 400 named above, answered with the envelope."""
    code = _envelope_code(response)
    if response.status_code == 422:
        return code in RULE_REFUSALS
    if response.status_code == 400:
        return code in CONTRACT_400
    return False


@schemathesis.check
def positive_data_acceptance_or_documented_rule(ctx: Any, response: Any, case: Any) -> Any:
    """schemathesis's positive_data_acceptance, but a documented refusal (above) passes."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        if documented_refusal(response):
            return None
        raise
