"""The screening panel's words (safety/presentation.py), without Django or a database."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from mesoclinic.safety.engine import Outcome, Reason, ReasonCode, ScreeningResult, Severity
from mesoclinic.safety.presentation import (
    REASON_TEXT,
    Wording,
    in_words,
    reason_label,
    screening_view,
)

LONDON = zoneinfo.ZoneInfo("Europe/London")


def reason(code: ReasonCode, severity: Severity, *, blocks: bool, message: str = "") -> Reason:
    return Reason(code, severity, message or code.value, "source", blocks)


def test_an_iso_moment_reads_as_a_local_date_and_time():
    text = "Consent was signed at 2026-12-05T18:14:27.426918+00:00."
    assert in_words(text, Wording(time_zone=LONDON)) == (
        "Consent was signed at Saturday 5 December 2026 at 18:14."
    )
    summer = in_words("2026-07-01T08:00:00+00:00", Wording(time_zone=LONDON))
    assert summer == "Wednesday 1 July 2026 at 09:00"


def test_an_iso_date_reads_in_words():
    assert in_words("on 2027-03-05.", Wording()) == "on Friday 5 March 2027."


def test_codes_read_as_names_but_not_inside_other_words():
    wording = Wording(names={"dr-patel": "Dr Anika Patel", "mesotox": "MesoTox"})
    text = "dr-patel is a doctor; mesotox needs a prescriber; mesotox-blend stays."
    assert in_words(text, wording) == (
        "Dr Anika Patel is a doctor; MesoTox needs a prescriber; mesotox-blend stays."
    )


def test_labels_match_the_outcome_a_reason_leads_to():
    assert reason_label(reason(ReasonCode.PREGNANT, Severity.REFUSE, blocks=True)) == (
        "Refused",
        "danger",
    )
    consent = reason(ReasonCode.CONSENT_MISSING, Severity.WARN, blocks=True)
    swelling = reason(ReasonCode.SWELLING_EXPECTED, Severity.WARN, blocks=False)
    prescriber = reason(
        ReasonCode.PRESCRIBER_CONSULTATION_REQUIRED, Severity.PRESCRIBER, blocks=True
    )
    assert reason_label(consent) == ("Before treatment", "caution")
    assert reason_label(swelling) == ("Note", "note")
    assert reason_label(prescriber)[0] == "Needs a prescriber"


def test_every_reason_code_has_a_title_and_a_next_step():
    for code in ReasonCode:
        title, next_step = REASON_TEXT[code]
        assert title
        assert next_step
        assert "_" not in title


def test_allowed_with_a_blocking_warning_says_what_to_resolve_first():
    consent = reason(ReasonCode.CONSENT_MISSING, Severity.WARN, blocks=True)
    swelling = reason(ReasonCode.SWELLING_EXPECTED, Severity.WARN, blocks=False)
    blocking = screening_view(ScreeningResult(Outcome.ALLOWED_WITH_WARNINGS, (consent,)))
    notes = screening_view(ScreeningResult(Outcome.ALLOWED_WITH_WARNINGS, (swelling,)))
    assert "Before treatment" in blocking.next_step
    assert "Before treatment" not in notes.next_step
    assert blocking.reasons[0].title == "Consent not signed"
    assert blocking.reasons[0].next_step


def test_a_reason_message_is_put_in_words_and_the_engine_message_kept():
    message = "The last toxin administration was on 2026-10-06; rebook after 2026-12-29."
    toxin = reason(ReasonCode.TOXIN_INTERVAL, Severity.OVERRIDE, blocks=True, message=message)
    view = screening_view(ScreeningResult(Outcome.NEEDS_OVERRIDE, (toxin,)))
    assert view.reasons[0].message == (
        "The last toxin administration was on Tuesday 6 October 2026; rebook after "
        "Tuesday 29 December 2026."
    )
    assert view.reasons[0].reason.message == message
    assert dt.date(2026, 10, 6).weekday() == 1
