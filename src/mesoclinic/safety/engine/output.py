"""The screening engine's output: a ``Reason`` (one finding with its code, severity, message,
source and details) and the ``ScreeningResult`` (the outcome with its reasons, and the
reasons a clinician has overridden).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from .vocabularies import Outcome, ReasonCode, Severity

DetailValue = str | int | bool | None | tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Reason:
    """One finding: what, how serious, what to do next, and on what authority.

    ``blocks_treatment`` is true when the reason must be resolved before a treatment record
    is accepted: every non-warn reason, and the warn reasons ``consent_missing``,
    ``cooling_off`` and (by default) ``insurance_expired``. ``details`` holds
    JSON-friendly values (dates as ISO strings).
    """

    code: ReasonCode
    severity: Severity
    message: str
    source: str
    blocks_treatment: bool
    details: Mapping[str, DetailValue] = field(
        default_factory=lambda: MappingProxyType({}), hash=False
    )


@dataclass(frozen=True, slots=True)
class ScreeningResult:
    """The outcome and the reasons behind it, highest precedence first.

    ``overridden`` holds the ``override`` reasons a clinician has already overridden; they
    do not count towards the outcome.
    """

    outcome: Outcome
    reasons: tuple[Reason, ...]
    overridden: tuple[Reason, ...] = ()

    @property
    def codes(self) -> tuple[ReasonCode, ...]:
        """The codes of ``reasons``, in order."""
        return tuple(reason.code for reason in self.reasons)
