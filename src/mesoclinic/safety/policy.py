"""The clinic's screening policy, read from ``settings.MESOCLINIC`` and the owner's
policies (``people.policy``: questionnaire validity and the cooling-off periods).

The engine's configurable rules (domain.md §4) take their parameters from here, so a clinic
changes them in the app, in settings or the environment, never in code. Keys and defaults:

- ``QUESTIONNAIRE_VALID_DAYS`` (180): age after which a questionnaire no longer counts.
- ``PRESCRIPTION_VALID_DAYS`` (90): how long a prescriber consultation covers treatment.
- ``OVERRIDE_VALID_DAYS`` (180): how long a clinician's override stays active.
- ``TOXIN_INTERVAL_DAYS`` (84), ``ISOTRETINOIN_LOOKBACK_MONTHS`` (12),
  ``COOLING_OFF_HOURS`` (0), ``FIRST_TOXIN_COOLING_OFF_HOURS`` (24).
"""

from __future__ import annotations

import datetime as dt

from mesoclinic.people.policy import policy_value
from mesoclinic.safety.engine import DEFAULT_CONFIG, ScreeningConfig


def _int(name: str, default: int) -> int:
    value = policy_value(name)
    return int(default if value is None else value)


def screening_config() -> ScreeningConfig:
    """The engine configuration for this clinic."""
    return ScreeningConfig(
        questionnaire_validity_days=questionnaire_valid_days(),
        prescription_validity_days=_int(
            "PRESCRIPTION_VALID_DAYS", DEFAULT_CONFIG.prescription_validity_days
        ),
        toxin_interval_days=_int("TOXIN_INTERVAL_DAYS", DEFAULT_CONFIG.toxin_interval_days),
        isotretinoin_lookback_months=_int(
            "ISOTRETINOIN_LOOKBACK_MONTHS", DEFAULT_CONFIG.isotretinoin_lookback_months
        ),
        cooling_off_hours=_int("COOLING_OFF_HOURS", DEFAULT_CONFIG.cooling_off_hours),
        first_toxin_cooling_off_hours=_int(
            "FIRST_TOXIN_COOLING_OFF_HOURS", DEFAULT_CONFIG.first_toxin_cooling_off_hours
        ),
    )


def questionnaire_valid_days() -> int:
    """Days a health questionnaire stays valid (default 180)."""
    return _int("QUESTIONNAIRE_VALID_DAYS", DEFAULT_CONFIG.questionnaire_validity_days)


def override_validity() -> dt.timedelta:
    """How long a recorded override stays active (default 180 days)."""
    return dt.timedelta(days=_int("OVERRIDE_VALID_DAYS", 180))
