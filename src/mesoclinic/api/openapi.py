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
from ninja.operation import Operation

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
    "room": "london-room-1",
    "device": "london-dermafrac",
}
ID_PATTERN = "^[0-9]{1,18}$"
# The edge rule (core/validation.py): no control characters but tab, CR and newline.
_TEXT_CHAR = "[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]"
TEXT_PATTERN = f"^{_TEXT_CHAR}*$"
# Text that must say something: the services trim it, so blanks alone are empty.
NONBLANK_PATTERN = f"^ *[^\\s\\u0000-\\u001f\\u007f-\\u009f]{_TEXT_CHAR}*$"
# One line (a query parameter, a field name): no control characters at all.
LINE_PATTERN = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"
LINE_NONBLANK_PATTERN = "^ *[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$"
# Dates the edge accepts (core/validation.py): real calendar days, 1900-01-01 to 2100-12-31,
# written YYYY-MM-DD. (A pattern rather than ``format: date``, which allows years 0001-9999.)
_LEAP_YEAR = "(?:19|20)(?:0[48]|[2468][048]|[13579][26])|2000"
_MONTH_DAY = (
    "(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
    "|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
    "|02-(?:0[1-9]|1[0-9]|2[0-8]))"
)
_DATE = f"(?:(?:19[0-9]{{2}}|20[0-9]{{2}}|2100)-{_MONTH_DAY}|(?:{_LEAP_YEAR})-02-29)"
# A date-time: ISO 8601 with seconds and a UTC offset within +-14:00.
_TIME = "(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\\.[0-9]{1,6})?"
_OFFSET = "(?:Z|[+-](?:(?:0[0-9]|1[0-3]):[0-5][0-9]|14:00))"
DATE_PATTERNS = {
    "date": (f"^{_DATE}$", "A date, YYYY-MM-DD, between 1900-01-01 and 2100-12-31."),
    "date-time": (
        f"^{_DATE}T{_TIME}{_OFFSET}$",
        "A date-time, ISO 8601 with its UTC offset (within +-14:00), in the years 1900-2100.",
    ),
}
# A UK phone number as the clinic writes them (national 0... or +44, ten digits after it);
# the server also takes other possible numbers (``phonenumbers``).
PHONE_PATTERN = "^$|^(?:0|\\+44 ?)[1-9][0-9]{3} ?[0-9]{3} ?[0-9]{3}$"
# morning, afternoon, evening or HH:MM (scheduling/planning/courses.py).
TIME_OF_DAY_PATTERN = "^(?:morning|afternoon|evening|(?:[01][0-9]|2[0-3]):[0-5][0-9])$"
PATTERNS = {"phone": PHONE_PATTERN, "time_of_day": TIME_OF_DAY_PATTERN}
PARAMETER_BOUNDS = {"limit": (1, 5000)}
# Filters that match nothing for an unknown value (an empty list), rather than refuse it:
# any text without control characters.
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
# Decimal body fields (pydantic takes a number or a numeric string): the document offers the
# number, on the grid of its decimal places, and below the maximum its digits allow.
DECIMAL_STEPS = {
    "volume_ml": 0.01,
    "units": 0.01,
    "dilution_u_per_ml": 0.01,
    "needle_length_mm": 0.1,
    "depth_mm": 0.1,
    "quantity": 0.01,
    "bruise_cm": 0.1,
}
DECIMAL_COMPONENT_STEPS = {("ChartPointIn", "volume_ml"): 0.001}
DECIMAL_MAXIMUM = {"quantity": 99999999.99}
# List values that stand alone: "none" with a reaction is 400 reaction_none_with_others.
ALONE_IN_LIST = {("RecordIn", "reactions"): "none"}
# Bodies whose ``lot`` names a batch in stock (elsewhere a lot is new, or in the path).
LOT_COMPONENTS = {"ProductIn", "LotIn"}
# Body fields the view needs although pydantic lets them out (to answer with its own code):
# a consent's ``accepted`` (422 consent_not_accepted) and an override's justification (400).
REQUIRED_FIELDS = {
    ("ConsentIn", "accepted"),
    ("ConsentIn", "signed_name"),
    ("OverrideIn", "justification"),
}
# A drawn signature: an SVG path of moves and lines (safety/consent_services.py, _SIGNATURE_PATH).
SIGNATURE_PATH_PATTERN = "^(?:[ML]-?[0-9]{1,4} -?[0-9]{1,4} ?){1,40}$"
# Body schemas with alternatives between fields: a toxin dose names its formulation or its
# product; a consent is signed by a typed name, or drawn with the path of the drawing.
COMPONENT_ALTERNATIVES: dict[str, list[dict[str, Any]]] = {
    "ToxinHistoryIn": [
        {"required": ["formulation"], "properties": {"formulation": {"type": "string"}}},
        {
            "required": ["product_name"],
            "properties": {"product_name": {"type": "string", "pattern": NONBLANK_PATTERN}},
        },
    ],
    "ConsentIn": [
        {"properties": {"signature_kind": {"const": "typed"}}},
        {
            "required": ["signature_kind", "signature_data"],
            "properties": {
                "signature_kind": {"const": "drawn"},
                "signature_data": {"type": "string", "pattern": SIGNATURE_PATH_PATTERN},
            },
        },
    ],
}
# Any JSON whose texts and keys pass the edge rule (device settings, a scale's components).
JSON_VALUE = "TextJson"
JSON_VALUE_SCHEMA: dict[str, Any] = {
    "title": JSON_VALUE,
    "anyOf": [
        {"type": "string", "pattern": TEXT_PATTERN},
        {"type": ["number", "boolean", "null"]},
        {"type": "array", "items": {"$ref": f"#/components/schemas/{JSON_VALUE}"}},
        {
            "type": "object",
            "propertyNames": {"pattern": LINE_PATTERN},
            "additionalProperties": {"$ref": f"#/components/schemas/{JSON_VALUE}"},
        },
    ],
}
# Fields whose type pydantic states too loosely: weekdays are 0-6 or a day's name.
_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
FIELD_SCHEMAS: dict[tuple[str, str], dict[str, Any]] = {
    ("PreferencesIn", "weekdays"): {
        "anyOf": [
            {
                "type": "array",
                "items": {
                    "anyOf": [
                        {"type": "integer", "minimum": 0, "maximum": 6},
                        {"type": "string", "enum": [*_DAYS, *(day[:3] for day in _DAYS)]},
                    ]
                },
            },
            {"type": "null"},
        ],
        "description": "0 (Monday) to 6 (Sunday), or a day's name or its first three letters.",
    }
}
# Fields whose only acceptable value is fixed (anything else is 422 consent_not_accepted).
CONSTANT_FIELDS: dict[tuple[str, str], Any] = {("ConsentIn", "accepted"): True}

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
    fmt = schema.get("format") or _date_kind(name, schema)
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


def _date_kind(name: str, schema: dict[str, Any]) -> str | None:
    """ "date" or "date-time" for a string the views parse as one, else None."""
    fmt = schema.get("format") or FORMATS.get(name)
    if fmt in DATE_PATTERNS:
        return str(fmt)
    for kind, (pattern, _) in DATE_PATTERNS.items():
        if schema.get("pattern") == pattern:
            return kind
    return None


def _document_string(
    name: str,
    schema: dict[str, Any],
    codes: dict[str, list[str]],
    *,
    nonblank: bool = False,
    text: str = TEXT_PATTERN,
) -> None:
    """A plain string field: its date pattern, its code enum, or the text rule."""
    if schema.get("type") != "string" or "enum" in schema:
        return
    kind = _date_kind(name, schema)
    if kind:
        schema.pop("format", None)
        schema["pattern"], schema["description"] = DATE_PATTERNS[kind]
        return
    if schema.get("pattern") == LINE_PATTERN and schema.get("minLength", 0) >= 1:
        schema["pattern"] = LINE_NONBLANK_PATTERN
    if "pattern" in schema:
        return
    fmt = schema.get("format") or FORMATS.get(name)
    if fmt:
        schema["format"] = fmt
    elif codes.get(name):
        schema["enum"] = codes[name]
    elif name in PATTERNS:
        schema["pattern"] = PATTERNS[name]
    elif name in CODE_EXAMPLES:
        schema["pattern"] = CODE_PATTERN
    elif nonblank or schema.get("minLength", 0) >= 1:
        schema["pattern"] = NONBLANK_PATTERN
    else:
        schema["pattern"] = text


def _document_decimal(component: str, name: str, prop: dict[str, Any]) -> None:
    """A decimal: a JSON number on its grid (pydantic's numeric-string option left out)."""
    options = prop.get("anyOf", [])
    kinds = {option.get("type") for option in options}
    if not {"number", "string"} <= kinds:
        return
    prop["anyOf"] = [option for option in options if option.get("type") != "string"]
    step = DECIMAL_COMPONENT_STEPS.get((component, name), DECIMAL_STEPS.get(name))
    for option in prop["anyOf"]:
        if option.get("type") == "number":
            if step:
                option["multipleOf"] = step
            if name in DECIMAL_MAXIMUM:
                option.setdefault("maximum", DECIMAL_MAXIMUM[name])


def _document_alone(prop: dict[str, Any], alone: str) -> None:
    """A list of codes where ``alone`` may only be the one entry: either the other codes,
    or ``alone`` by itself."""
    others = {"type": "array", "items": copy.deepcopy(prop["items"])}
    others["items"]["enum"] = [code for code in others["items"]["enum"] if code != alone]
    by_itself = {"type": "array", "items": {"type": "string", "const": alone}, "maxItems": 1}
    for key in ("type", "items"):
        prop.pop(key, None)
    prop["anyOf"] = [others, by_itself]


def _document_field(
    component: str, name: str, prop: dict[str, Any], codes: dict[str, list[str]]
) -> None:
    if (component, name) in FIELD_SCHEMAS:
        prop.clear()
        prop.update(copy.deepcopy(FIELD_SCHEMAS[(component, name)]))
        return
    if prop.get("type") == "object" and not prop.get("properties"):
        # A free mapping (device settings, a scale's components): keys on one line, texts
        # without control characters, at any depth.
        prop["propertyNames"] = {"pattern": LINE_PATTERN}
        prop["additionalProperties"] = {"$ref": f"#/components/schemas/{JSON_VALUE}"}
    values = field_enums().get((component, name))
    if values:
        target = prop.get("items", prop)
        for option in [target, *target.get("anyOf", [])]:
            if option.get("type") == "string":
                option["enum"] = list(values)
    if (component, name) in ALONE_IN_LIST:
        _document_alone(prop, ALONE_IN_LIST[(component, name)])
    if (component, name) in CONSTANT_FIELDS:
        prop["enum"] = [CONSTANT_FIELDS[(component, name)]]
    _document_decimal(component, name, prop)
    nonblank = (component, name) in REQUIRED_FIELDS
    _document_string(name, prop, codes, nonblank=nonblank)
    for option in prop.get("anyOf", []):
        _document_string(name, option, codes, nonblank=nonblank)
    items = prop.get("items", {})
    _document_string(name, items, codes)
    for option in items.get("anyOf", []):
        _document_string(name, option, codes)


def _document_properties(
    component: str, schema: dict[str, Any], codes: dict[str, list[str]]
) -> None:
    partial = component.endswith("Patch")
    for name, prop in schema.get("properties", {}).items():
        if partial:
            # A field of a partial update is left out to keep its value, never null.
            options = [o for o in prop.get("anyOf", []) if o.get("type") != "null"]
            if len(options) == 1:
                del prop["anyOf"]
                prop.update(options[0])
            prop.pop("default", None)
        _document_field(component, name, prop, codes)
        if (component, name) in REQUIRED_FIELDS:
            prop.pop("default", None)
            required = schema.setdefault("required", [])
            if name not in required:
                required.append(name)
    if component in COMPONENT_ALTERNATIVES:
        schema["anyOf"] = copy.deepcopy(COMPONENT_ALTERNATIVES[component])


def _body_codes(component: str, codes: dict[str, list[str]]) -> dict[str, list[str]]:
    """The codes a body's fields take: ``code`` is a practitioner's only in a path, and a
    ``lot`` names a batch in stock except where a batch is being created."""
    return {
        key: values
        for key, values in codes.items()
        if key != "code" and (key != "lot" or component in LOT_COMPONENTS)
    }


def _document_form(schema: dict[str, Any]) -> None:
    """The fields of a multipart form: fixed choices as enums, names on one line."""
    schema["propertyNames"] = {"pattern": LINE_PATTERN}
    if schema.get("additionalProperties", True) is not False:
        schema["additionalProperties"] = {"type": "string", "pattern": TEXT_PATTERN}
    for name, prop in schema.get("properties", {}).items():
        values = form_enums().get(name)
        if values and prop.get("type") == "string":
            prop["enum"] = list(values)


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
        schema["pattern"] = LINE_PATTERN
        return
    if parameter["in"] == "path" and name.endswith("_id") and schema.get("type") == "string":
        schema.setdefault("pattern", ID_PATTERN)
        schema.setdefault("examples", ["1"])
    else:
        _document_string(name, schema, codes, text=LINE_PATTERN)
        for option in schema.get("anyOf", []):
            _document_string(name, option, codes, text=LINE_PATTERN)
    coded = any(
        "enum" in option or option.get("pattern") == CODE_PATTERN
        for option in [schema, *schema.get("anyOf", [])]
    )
    if (name in FORMATS or coded) and parameter["in"] == "query" and not parameter.get("required"):
        # An optional date or code left empty (``?to=``, ``?site=``) counts as not given.
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
        if name.endswith(("In", "Patch")):
            _document_properties(name, component, _body_codes(name, codes))
    components[ENVELOPE] = ENVELOPE_SCHEMA
    components[JSON_VALUE] = JSON_VALUE_SCHEMA
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
                if media_type == "multipart/form-data":
                    _document_form(content.get("schema", {}))
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

    def get_openapi_operation_id(self, operation: Operation) -> str:
        """``mesoclinic_api_<domain>_<handler>``: a domain whose routers are split into a
        package (``api/scheduling/``) keeps the operation ids of its single module."""
        domain = ".".join(operation.view_func.__module__.split(".")[:3])
        return f"{domain}_{operation.view_func.__name__}".replace(".", "_")


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
    from mesoclinic.safety.engine import Condition
    from mesoclinic.safety.models import OVERRIDABLE_CODES

    return {
        ("FollowUpIn", "outcome"): list(FollowUpOutcome.values),
        ("AdverseEventIn", "outcome"): list(AdverseEventOutcome.values),
        ("AdverseEventIn", "seriousness"): list(Seriousness.values),
        ("AreaIn", "technique"): list(Technique.values),
        ("RecordIn", "reactions"): list(Reaction.values),
        ("RecordIn", "delivery"): list(Delivery.values),
        ("AssessmentIn", "rated_by"): list(RatedBy.values),
        # Only an override-severity reason can be overridden (a refusal is 422
        # not_overridable, as the contract says).
        ("OverrideIn", "code"): list(OVERRIDABLE_CODES),
        ("QuestionnaireIn", "conditions"): [condition.value for condition in Condition],
    }


def form_enums() -> dict[str, list[str]]:
    """Multipart form fields whose values are a fixed set."""
    from mesoclinic.records.models import PhotoView

    return {"view": list(PhotoView.values)}


def reference_codes() -> dict[str, list[str]]:
    """The codes of the reference data, by the field names that carry them."""
    from django.db import DatabaseError

    from mesoclinic.catalogue.models import Batch, Formulation, Protocol, Treatment
    from mesoclinic.people.models import Device, Practitioner, Room, Site

    def of(model: Any, field: str = "code") -> list[str]:
        try:
            return sorted(set(model.objects.values_list(field, flat=True)))
        except (DatabaseError, RuntimeError):
            # No database yet (before migrating), or none allowed (a test collecting the
            # routes): the document falls back to the code patterns.
            return []

    practitioners = of(Practitioner)
    from mesoclinic.records.scales import SCALES

    return {
        "scale": sorted(SCALES),
        "lot": of(Batch, "lot"),
        "treatment": of(Treatment),
        "formulation": of(Formulation),
        "protocol": of(Protocol),
        "site": of(Site),
        "room": of(Room),
        "device": of(Device),
        "practitioner": practitioners,
        "prescriber": practitioners,
        "preferred_practitioner": practitioners,
        "code": practitioners,
    }
