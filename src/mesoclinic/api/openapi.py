"""The OpenAPI document tells the truth (issue 13, item 2).

django-ninja documents the success answer of each operation; this module adds what the
API also does, in one place, so a tool such as schemathesis can check every answer:

* every operation lists its error answers (400, 401, 403, 404, 414; writes also 409, 422
  and 503) with the error envelope's schema;
* parameters that the view requires are required; reference-data codes (treatments,
  practitioners, formulations, …) carry their pattern and examples;
* every JSON request body has an example;
* non-JSON answers declare their media type: ``.ics`` is ``text/calendar``, a photo is an
  image.
"""

from __future__ import annotations

import copy
from typing import Any

from ninja import NinjaAPI

ENVELOPE = "ErrorEnvelope"
ENVELOPE_REF = {"$ref": f"#/components/schemas/{ENVELOPE}"}
ENVELOPE_SCHEMA: dict[str, Any] = {
    "title": ENVELOPE,
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {
                "code": {
                    "type": "string",
                    "pattern": "^[a-z][a-z0-9_]*$",
                    "description": "A stable snake_case code (e.g. invalid_input, "
                    "unauthenticated, forbidden, not_found, method_not_allowed, "
                    "slot_taken, database_busy); each app's codes are a StrEnum.",
                    "examples": ["invalid_input"],
                },
                "message": {"type": "string", "description": "For a person to read."},
                "details": {"type": "object", "description": "Machine-readable context."},
            },
        }
    },
}

ERRORS_ON_ALL = {
    "400": "Malformed input: a parameter, a body field or the body itself (invalid_input, "
    "or a more precise code).",
    "401": "No valid bearer token and no staff session (unauthenticated).",
    "403": "The user's role does not allow this (forbidden), or a staff session's write "
    "without its CSRF token.",
    "404": "The addressed object does not exist (a code ending in not_found).",
    "414": "The request line is too long.",
    "422": "Well-formed, but a clinical or business rule refuses it.",
    "503": "The database is busy; nothing was saved. Try again after Retry-After.",
}
ERRORS_ON_WRITES = {
    "409": "Conflicts with the current state (e.g. the slot was just taken).",
}

# A reference-data code: lower-case letters, digits and hyphens.
CODE_PATTERN = "^[a-z0-9][a-z0-9-]{0,63}$"
CODE_EXAMPLES = {
    "treatment": "face-revitalise",
    "practitioner": "dr-patel",
    "formulation": "hyaluronic-acid-1",
    "site": "london",
    "code": "dr-patel",
    "protocol": "face-revitalise-standard",
    "scale": "glogau",
}
ID_PATTERN = "^[0-9]{1,18}$"
# The edge rule (core/validation.py): no control characters but tab, CR and newline.
TEXT_PATTERN = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]*$"
PARAMETER_BOUNDS = {"limit": (1, 5000)}
# Filters that match nothing for an unknown value (an empty list), rather than refuse it.
FREE_FILTERS = {("get", "/api/v1/consent-forms", "treatment")}
# String fields parsed as dates and times by the views (ISO 8601; date-times with an offset).
FORMATS = {
    "start": "date-time",
    "starts_at": "date-time",
    "ends_at": "date-time",
    "start_date": "date",
    "from": "date",
    "to": "date",
    "earliest_time": "time",
    "latest_time": "time",
}

# Parameters a view refuses to go without (declared optional to keep its own message).
REQUIRED = {
    ("get", "/api/v1/availability"): ("treatment", "from", "to"),
}

MEDIA = {
    ".ics": {"text/calendar": {"schema": {"type": "string"}}},
    "/photos/{photo_id}": {
        "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
        "image/png": {"schema": {"type": "string", "format": "binary"}},
        "image/webp": {"schema": {"type": "string", "format": "binary"}},
    },
}


def _example_value(name: str, schema: dict[str, Any], components: dict[str, Any]) -> Any:
    if "$ref" in schema:
        schema = components.get(schema["$ref"].rsplit("/", 1)[1], {})
    for key in ("allOf", "anyOf"):
        if schema.get(key):
            options = [o for o in schema[key] if o.get("type") != "null"]
            if options:
                return _example_value(name, options[0], components)
    if schema.get("examples"):
        return schema["examples"][0]
    if "default" in schema and schema["default"] not in (None, ""):
        return schema["default"]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    fmt = schema.get("format")
    if fmt == "date":
        return "2027-03-10"
    if fmt == "date-time":
        return "2027-03-10T10:00:00+00:00"
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return False
    if kind == "array":
        return []
    if kind == "object":
        return _example_object(schema, components) if schema.get("properties") else {}
    for key, example in CODE_EXAMPLES.items():
        if key in name:
            return example
    if name in ("client", "appointment") or name.endswith("_id"):
        return "1"
    if "email" in name:
        return "ada@example.com"
    return "text"


def _example_object(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    return {
        name: _example_value(name, prop, components)
        for name, prop in schema.get("properties", {}).items()
    }


def _document_string(name: str, schema: dict[str, Any], codes: dict[str, list[str]]) -> None:
    """A plain string field: its date format, its code enum, or the text rule."""
    if schema.get("type") != "string" or {"enum", "pattern"} & set(schema):
        return
    fmt = schema.get("format") or FORMATS.get(name)
    if fmt:
        # (the years 1900-2100 are said in the description: a pattern on top of a format
        # leaves a generator too few strings)
        schema["format"] = fmt
        if fmt in ("date", "date-time"):
            schema.setdefault("description", "Between the years 1900 and 2100.")
    elif codes.get(name):
        schema["enum"] = codes[name]
    elif name in CODE_EXAMPLES:
        schema["pattern"] = CODE_PATTERN
    else:
        schema["pattern"] = TEXT_PATTERN


def _document_properties(
    component: str, schema: dict[str, Any], codes: dict[str, list[str]]
) -> None:
    for name, prop in schema.get("properties", {}).items():
        values = field_enums().get((component, name))
        if values:
            target = prop.get("items", prop)
            for option in [target, *target.get("anyOf", [])]:
                if option.get("type") == "string":
                    option["enum"] = list(values)
        _document_string(name, prop, codes)
        for option in prop.get("anyOf", []):
            _document_string(name, option, codes)
        items = prop.get("items", {})
        _document_string(name, items, codes)
        for option in items.get("anyOf", []):
            _document_string(name, option, codes)


def _document_parameter(
    operation_key: tuple[str, str], parameter: dict[str, Any], codes: dict[str, list[str]]
) -> None:
    name = parameter["name"]
    schema = parameter.setdefault("schema", {})
    if name in REQUIRED.get(operation_key, ()):
        parameter["required"] = True
        schema.pop("default", None)
        if schema.get("type") == "string":
            schema["minLength"] = 1
    if (*operation_key, name) in FREE_FILTERS:
        return
    if parameter["in"] == "path" and name.endswith("_id") and schema.get("type") == "string":
        schema.setdefault("pattern", ID_PATTERN)
        schema.setdefault("examples", ["1"])
    else:
        _document_string(name, schema, codes)
        for option in schema.get("anyOf", []):
            _document_string(name, option, codes)
    if name in FORMATS and not parameter.get("required"):
        # An optional date left empty (``?to=``) counts as not given.
        options = schema.get("anyOf") or [dict(schema)]
        for key in [k for k in schema if k not in ("title", "anyOf")]:
            del schema[key]
        schema["anyOf"] = [*options, {"type": "string", "maxLength": 0}]
    if name in PARAMETER_BOUNDS:
        low, high = PARAMETER_BOUNDS[name]
        for option in [schema, *schema.get("anyOf", [])]:
            if option.get("type") == "integer":
                option.update(minimum=low, maximum=high)


def document(schema: dict[str, Any], codes: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """``schema`` with the error answers, required parameters, code enums (``codes``: the
    reference data's current codes by field name) or patterns, examples and media types of
    every operation."""
    codes = codes or {}
    schema = copy.deepcopy(schema)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name, component in components.items():
        if name.endswith("In"):
            _document_properties(name, component, {k: v for k, v in codes.items() if k != "code"})
    components[ENVELOPE] = ENVELOPE_SCHEMA
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            operation["responses"] = {str(k): v for k, v in operation["responses"].items()}
            for parameter in operation.get("parameters", []):
                _document_parameter((method, path), parameter, codes)
            errors = dict(ERRORS_ON_ALL)
            if method != "get":
                errors.update(ERRORS_ON_WRITES)
            for status, description in errors.items():
                operation["responses"].setdefault(
                    status,
                    {
                        "description": description,
                        "content": {"application/json": {"schema": ENVELOPE_REF}},
                    },
                )
            for suffix, media in MEDIA.items():
                if path.endswith(suffix):
                    ok = next(s for s in ("200", "201") if s in operation["responses"])
                    operation["responses"][ok]["content"] = media
            body = operation.get("requestBody", {}).get("content", {})
            for media_type, content in body.items():
                if media_type == "application/json" and "example" not in content:
                    ref = content.get("schema", {})
                    target = (
                        components.get(ref["$ref"].rsplit("/", 1)[1], {}) if "$ref" in ref else ref
                    )
                    declared = target.get("examples")
                    content["example"] = (
                        declared[0] if declared else _example_object(target, components)
                    )
    return schema


class ContractAPI(NinjaAPI):
    """A NinjaAPI whose OpenAPI document also declares the error answers (see above)."""

    def get_openapi_schema(self, **kwargs: Any) -> Any:
        return document(dict(super().get_openapi_schema(**kwargs)), reference_codes())


def field_enums() -> dict[tuple[str, str], list[str]]:
    """Body fields whose values are a fixed set (a model's choices or a StrEnum)."""
    from mesoclinic.records.models import (
        AdverseEventOutcome,
        Delivery,
        FollowUpOutcome,
        RatedBy,
        Reaction,
        Seriousness,
        Technique,
    )
    from mesoclinic.safety.engine import ReasonCode

    return {
        ("FollowUpIn", "outcome"): list(FollowUpOutcome.values),
        ("AdverseEventIn", "outcome"): list(AdverseEventOutcome.values),
        ("AdverseEventIn", "seriousness"): list(Seriousness.values),
        ("AreaIn", "technique"): list(Technique.values),
        ("RecordIn", "reactions"): list(Reaction.values),
        ("RecordIn", "delivery"): list(Delivery.values),
        ("AssessmentIn", "rated_by"): list(RatedBy.values),
        ("OverrideIn", "code"): [code.value for code in ReasonCode],
    }


def reference_codes() -> dict[str, list[str]]:
    """The codes of the reference data, by the field names that carry them."""
    from django.db import DatabaseError

    from mesoclinic.catalogue.models import Formulation, Protocol, Treatment
    from mesoclinic.people.models import Practitioner, Site

    def of(model: Any) -> list[str]:
        try:
            return sorted(model.objects.values_list("code", flat=True))
        except (DatabaseError, RuntimeError):
            # No database yet (before migrating), or none allowed (a test collecting the
            # routes): the document falls back to the code patterns.
            return []

    practitioners = of(Practitioner)
    return {
        "treatment": of(Treatment),
        "formulation": of(Formulation),
        "protocol": of(Protocol),
        "site": of(Site),
        "practitioner": practitioners,
        "prescriber": practitioners,
        "code": practitioners,
    }
