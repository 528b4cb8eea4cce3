"""The clinic's policies an owner changes in the app: notice period, deposit, reminders,
questionnaire validity, cooling-off and the course packages.

Each policy's default comes from ``settings.MESOCLINIC`` (and so from the environment); a
value saved on the settings page (``PolicySetting`` rows) overrides it for every process.
Readers call :func:`policy_value`. Saved values are read with one query and kept for
``CACHE_SECONDS`` per process: the process that saves sees the change at once, other
server processes within a minute.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any

from django.conf import settings
from django.db import transaction

from mesoclinic.core import clock
from mesoclinic.core.audit import Actor, audit_record
from mesoclinic.core.errors import InvalidInput
from mesoclinic.people.errors import PeopleErrorCode as Code
from mesoclinic.people.models import PolicySetting

CACHE_SECONDS = 60.0
MAX_HOURS = 14 * 24


@dataclass(frozen=True, slots=True)
class Policy:
    """One policy: its key in ``settings.MESOCLINIC``, how it is asked and its bounds."""

    key: str
    label: str
    help: str
    kind: str  # "int" | "percent" | "hours" (a list of hours) | "flag" | "packages"
    default: Any
    minimum: int = 0
    maximum: int = MAX_HOURS


POLICIES: tuple[Policy, ...] = (
    Policy(
        "CANCELLATION_NOTICE_HOURS",
        "Notice to move or cancel online (hours)",
        "Clients may move or cancel online until this many hours before the start.",
        "int",
        48,
    ),
    Policy(
        "DEPOSIT_PERCENT",
        "Deposit (% of the price)",
        "0 asks for no deposit.",
        "percent",
        "20",
        maximum=100,
    ),
    Policy(
        "FORFEIT_DEPOSIT",
        "Keep the deposit after a late cancellation or a no-show",
        "Otherwise the deposit is refunded.",
        "flag",
        True,
    ),
    Policy(
        "REMINDER_HOURS",
        "Reminders (hours before the appointment)",
        "One or more numbers, separated by commas, e.g. 48, 24.",
        "hours",
        (48, 24),
        minimum=1,
    ),
    Policy(
        "PREPARATION_HOURS",
        "Preparation advice (hours before the appointment)",
        "When the client is sent how to prepare.",
        "int",
        72,
        minimum=1,
    ),
    Policy(
        "QUESTIONNAIRE_VALID_DAYS",
        "Health questionnaire valid for (days)",
        "After this, the client answers the questions again before treatment.",
        "int",
        180,
        minimum=1,
        maximum=730,
    ),
    Policy(
        "COOLING_OFF_HOURS",
        "Cooling-off before a first treatment (hours)",
        "Time between consent and a first treatment; a treatment may ask for more.",
        "int",
        0,
    ),
    Policy(
        "FIRST_TOXIN_COOLING_OFF_HOURS",
        "Cooling-off before a first toxin treatment (hours)",
        "Time between consultation and a first prescription-only toxin treatment.",
        "int",
        24,
    ),
    Policy(
        "COURSE_PACKAGES",
        "Course packages",
        "One a line: the sessions bought together and the discount, e.g. "
        "“6 sessions or more: 10% off”. Leave empty for no course discount.",
        "packages",
        (),
        minimum=2,
        maximum=100,
    ),
)
BY_KEY = {policy.key: policy for policy in POLICIES}
PACKAGE_LINE = re.compile(r"^\s*(\d+)\D+?(\d+(?:\.\d+)?)\s*%")

_snapshot: tuple[float, Mapping[str, Any]] = (0.0, MappingProxyType({}))
"""(valid until, on the monotonic clock; the saved values): replaced whole, never changed."""


def clear_cache() -> None:
    """Forget the saved values this process holds (the next read asks the database)."""
    global _snapshot
    _snapshot = (0.0, MappingProxyType({}))


def _saved() -> Mapping[str, Any]:
    global _snapshot
    until, saved = _snapshot
    if time.monotonic() >= until:
        saved = MappingProxyType(dict(PolicySetting.objects.values_list("key", "value")))
        _snapshot = (time.monotonic() + CACHE_SECONDS, saved)
    return saved


def default_value(key: str) -> Any:
    """The value of ``settings.MESOCLINIC`` (or the policy's own default)."""
    configured: Mapping[str, Any] = getattr(settings, "MESOCLINIC", {})
    return configured.get(key, BY_KEY[key].default if key in BY_KEY else None)


def policy_value(key: str) -> Any:
    """The clinic's value of a policy: saved in the app, else the configured default."""
    if key in BY_KEY:
        saved = _saved()
        if key in saved:
            return saved[key]
    return default_value(key)


# --- changing them ---------------------------------------------------------------------------


def _refuse(policy: Policy, message: str) -> InvalidInput:
    return InvalidInput(Code.INVALID_INPUT, message, details={"field": policy.key.lower()})


def _whole(policy: Policy, text: str) -> int:
    try:
        number = int(text.strip())
    except ValueError:
        raise _refuse(policy, f"{policy.label}: give a whole number.") from None
    if not policy.minimum <= number <= policy.maximum:
        raise _refuse(
            policy, f"{policy.label}: between {policy.minimum} and {policy.maximum}, please."
        )
    return number


def parse(policy: Policy, raw: Any) -> Any:
    """A submitted value as stored, or 400 ``invalid_input`` naming the field."""
    if policy.kind == "flag":
        return raw in (True, "on", "true", "1", "yes")
    text = str(raw if raw is not None else "").strip()
    if policy.kind == "packages":
        return _packages(policy, text)
    if policy.kind == "int":
        return _whole(policy, text)
    if policy.kind == "hours":
        parts = [part for part in text.replace(" ", "").split(",") if part]
        if not parts:
            raise _refuse(policy, f"{policy.label}: give at least one number of hours.")
        return sorted({_whole(policy, part) for part in parts}, reverse=True)
    try:
        percent = Decimal(text)
    except InvalidOperation:
        raise _refuse(policy, f"{policy.label}: give a number, e.g. 20.") from None
    if not percent.is_finite() or not 0 <= percent <= policy.maximum:
        raise _refuse(policy, f"{policy.label}: between 0 and {policy.maximum}, please.")
    return f"{percent.normalize():f}"


def package_line(package: Mapping[str, Any]) -> str:
    """A package as the form shows it: "6 sessions or more: 10% off"."""
    percent = Decimal(str(package["percent"])).normalize()
    return f"{int(package['min_sessions'])} sessions or more: {percent:f}% off"


def _packages(policy: Policy, text: str) -> list[dict[str, Any]]:
    packages: dict[int, dict[str, Any]] = {}
    for line in filter(None, (line.strip() for line in text.splitlines())):
        match = PACKAGE_LINE.match(line)
        if match is None:
            raise _refuse(
                policy, f"{policy.label}: write each as “6 sessions or more: 10% off” ({line!r})."
            )
        sessions = _whole(policy, match[1])
        percent = Decimal(match[2])
        if not 0 < percent < 100:
            raise _refuse(policy, f"{policy.label}: a discount between 0 and 100%, please.")
        package = {"min_sessions": sessions, "percent": f"{percent.normalize():f}"}
        packages[sessions] = {**package, "name": package_line(package)}
    return [packages[sessions] for sessions in sorted(packages)]


def policies_save(*, actor: Actor, submitted: Mapping[str, Any]) -> dict[str, Any]:
    """Check every submitted policy, then save the changed ones in one transaction with one
    audit entry (before and after). Nothing is saved when any value is refused."""
    # The current values as parse() stores them, so configured defaults compare alike.
    current = {
        policy.key: parse(policy, as_text(policy, policy_value(policy.key))) for policy in POLICIES
    }
    parsed = {policy.key: parse(policy, submitted.get(policy.key)) for policy in POLICIES}
    changed = {key: value for key, value in parsed.items() if current[key] != value}
    if not changed:
        return {}
    now = clock.now()
    with transaction.atomic():
        for key, value in changed.items():
            PolicySetting.objects.update_or_create(
                key=key, defaults={"value": value, "updated_at": now}
            )
        audit_record(
            actor=actor,
            action="policy.change",
            summary=", ".join(sorted(changed)),
            data={key: {"from": current[key], "to": value} for key, value in changed.items()},
        )
    clear_cache()
    return changed


def as_text(policy: Policy, value: Any) -> Any:
    """A value as the settings form shows it; :func:`parse` reads it back."""
    if policy.kind == "packages":
        return "\n".join(package_line(package) for package in value)
    if policy.kind == "hours":
        return ", ".join(str(hours) for hours in value)
    return value
