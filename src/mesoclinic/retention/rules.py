"""How long each kind of record is kept, and what an erasure request may do: pure rules.

Defaults follow the NHS Records Management Code of Practice 2021 (Appendix II, retention
schedule), which independent clinics in England follow:

- adult health records: 8 years after the conclusion of treatment (the last treatment or
  clinical contact);
- children's records: until the 25th birthday, or the 26th if the young person was 17 at
  the conclusion of treatment — or 8 years after the last contact, whichever is later;
- financial records (payments): 6 years (HMRC's rule for a company's records; not from
  the Code);
- contact-only records (a client never treated and never charged): 2 years after the last
  contact. The Code sets no period for these; it is the clinic's own choice (data
  minimisation, UK GDPR Art. 5(1)(e)), configurable like the rest.

A period "ends" on its anniversary: records last touched on 10 March 2018 are due for
disposal from 10 March 2026 (a 29 February falls on 1 March in other years, as ages do).

Nothing here imports Django: the services feed plain dates in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any


class RecordType(StrEnum):
    """The kinds of record with a retention period of their own."""

    CLINICAL = "clinical"
    FINANCIAL = "financial"
    CONTACT = "contact"


RECORD_TYPE_LABELS = {
    RecordType.CLINICAL: "clinical record",
    RecordType.FINANCIAL: "payments",
    RecordType.CONTACT: "contact details and bookings",
}


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """How long records are kept (years, and ages for children's records)."""

    adult_clinical_years: int = 8
    child_until_age: int = 25
    child_until_age_if_17: int = 26
    financial_years: int = 6
    contact_years: int = 2

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> RetentionPolicy:
        """A policy from settings (lower-case or upper-case keys); unknown keys and values
        that are not positive whole numbers are a ``ValueError`` naming them."""
        known = {field.name for field in fields(cls)}
        chosen: dict[str, int] = {}
        for key, value in values.items():
            name = key.lower()
            if name not in known:
                raise ValueError(f"unknown retention setting {key!r}; known: {sorted(known)}")
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"retention setting {key!r} must be a positive whole number")
            chosen[name] = value
        return cls(**chosen)


@dataclass(frozen=True, slots=True)
class ClientHistory:
    """What decides a client's retention: dates only (local days)."""

    birth_date: dt.date
    last_contact: dt.date
    last_clinical: dt.date | None = None
    last_financial: dt.date | None = None


def add_years(day: dt.date, years: int) -> dt.date:
    """``day`` moved ``years`` years on; 29 February becomes 1 March in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return dt.date(day.year + years, 3, 1)


def age_on(birth_date: dt.date, day: dt.date) -> int:
    """Whole years of age on ``day``."""
    years = day.year - birth_date.year
    if (day.month, day.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


def clinical_disposal_date(
    policy: RetentionPolicy, *, birth_date: dt.date, last_clinical: dt.date | None
) -> dt.date | None:
    """The first day a clinical record may be destroyed; ``None`` without one.

    An adult's: ``adult_clinical_years`` after the last clinical contact. A record whose
    last contact came before the 18th birthday: the 25th birthday (26th if 17 then), or the
    adult date if that is later.
    """
    if last_clinical is None:
        return None
    adult = add_years(last_clinical, policy.adult_clinical_years)
    age = age_on(birth_date, last_clinical)
    if age >= 18:
        return adult
    until_age = policy.child_until_age_if_17 if age == 17 else policy.child_until_age
    return max(adult, add_years(birth_date, until_age))


def disposal_dates(
    policy: RetentionPolicy, history: ClientHistory
) -> dict[RecordType, dt.date | None]:
    """Per record type, the first day it may be destroyed (``None``: the client has none)."""
    financial = (
        add_years(history.last_financial, policy.financial_years)
        if history.last_financial is not None
        else None
    )
    return {
        RecordType.CLINICAL: clinical_disposal_date(
            policy, birth_date=history.birth_date, last_clinical=history.last_clinical
        ),
        RecordType.FINANCIAL: financial,
        RecordType.CONTACT: add_years(history.last_contact, policy.contact_years),
    }


def disposal_date(policy: RetentionPolicy, history: ClientHistory) -> dt.date:
    """The first day the client's whole file may be destroyed: every period has ended."""
    return max(day for day in disposal_dates(policy, history).values() if day is not None)


def is_due(policy: RetentionPolicy, history: ClientHistory, *, on: dt.date) -> bool:
    """Whether the client's whole file is due for disposal on ``on``."""
    return disposal_date(policy, history) <= on


# --- Erasure --------------------------------------------------------------------------------


class Action(StrEnum):
    """What an erasure does to one part of a client's file."""

    DELETE = "delete"
    ANONYMISE = "anonymise"
    KEEP = "keep"


@dataclass(frozen=True, slots=True)
class Decision:
    """One part of the file, what happens to it and why (``until``: kept until then)."""

    item: str
    action: Action
    reason: str
    until: dt.date | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {
            "item": self.item,
            "action": str(self.action),
            "reason": self.reason,
            "until": self.until.isoformat() if self.until else None,
        }


@dataclass(frozen=True, slots=True)
class ErasurePlan:
    """What honouring an erasure request does: delete the whole file, or anonymise it and
    keep what must be kept. ``blocked`` names why nothing can be done yet."""

    decisions: tuple[Decision, ...]
    blocked: str = ""

    @property
    def deletes_client(self) -> bool:
        return any(d.item == "client" and d.action is Action.DELETE for d in self.decisions)


CODE_REASON = "NHS Records Management Code of Practice 2021: health records are kept"
FINANCIAL_REASON = "payments are kept for tax and accounting (HMRC)"


def erasure_plan(
    policy: RetentionPolicy,
    history: ClientHistory,
    *,
    on: dt.date,
    upcoming_appointments: int = 0,
) -> ErasurePlan:
    """What an erasure request honoured on ``on`` does.

    A client with nothing under retention (never treated, never paid, or every period
    over) is deleted whole. Otherwise their contact details, portal account and messages
    go, and the clinical record and payments stay, each until its period ends (the right to
    erasure does not reach records kept to meet a legal obligation, UK GDPR Art. 17(3)(b)
    and (c)). Upcoming appointments must be cancelled first.
    """
    if upcoming_appointments:
        return ErasurePlan(
            decisions=(),
            blocked=f"{upcoming_appointments} upcoming appointment"
            f"{'s' if upcoming_appointments != 1 else ''}: cancel them first.",
        )
    dates = disposal_dates(policy, history)
    kept = [
        (record_type, until)
        for record_type in (RecordType.CLINICAL, RecordType.FINANCIAL)
        if (until := dates[record_type]) is not None and until > on
    ]
    if not kept:
        return ErasurePlan(
            decisions=(
                Decision(
                    "client",
                    Action.DELETE,
                    "no record must be kept: the client, their bookings, messages, "
                    "account and any records past retention are deleted",
                ),
            )
        )
    decisions = [
        Decision(
            "contact details",
            Action.ANONYMISE,
            "email, phone, address and marketing consent removed on request",
        ),
        Decision("portal account", Action.DELETE, "closed and its sign-in details removed"),
        Decision("messages", Action.DELETE, "copies of reminders and other messages sent"),
    ]
    for record_type, until in kept:
        reason = CODE_REASON if record_type is RecordType.CLINICAL else FINANCIAL_REASON
        decisions.append(Decision(RECORD_TYPE_LABELS[record_type], Action.KEEP, reason, until))
    return ErasurePlan(decisions=tuple(decisions))
