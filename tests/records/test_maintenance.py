"""Tests for response-adaptive maintenance intervals (mesoclinic.records.maintenance)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mesoclinic.records.maintenance import (
    DEFAULT_MAINTENANCE_CONFIG,
    MaintenanceConfig,
    MaintenanceDecision,
    MaintenanceReason,
    decide_maintenance_interval,
    next_maintenance_target,
)
from mesoclinic.records.scales import Direction, primary_scale_for, score

LOWER = Direction.LOWER_IS_BETTER
HIGHER = Direction.HIGHER_IS_BETTER


def test_default_config_is_91_days_shortened_to_56():
    # given / when
    config = DEFAULT_MAINTENANCE_CONFIG

    # then
    assert (config.default_interval_days, config.shortened_interval_days) == (91, 56)


def test_worsened_lower_is_better_score_shortens_the_interval():
    # given: mMASI rose from 6.1 to 7.3 since the last maintenance visit
    previous, latest = Decimal("6.1"), Decimal("7.3")

    # when
    decision = decide_maintenance_interval(
        direction=LOWER, previous_score=previous, latest_score=latest
    )

    # then
    assert decision == MaintenanceDecision(
        interval_days=56,
        shortened=True,
        reason=MaintenanceReason.SCORE_WORSENED,
        message="Primary score worsened from 6.1 to 7.3: next maintenance in 56 days.",
    )


def test_improved_lower_is_better_score_keeps_the_default_interval():
    # given
    previous, latest = 9, 7

    # when
    decision = decide_maintenance_interval(
        direction=LOWER, previous_score=previous, latest_score=latest
    )

    # then
    assert decision == MaintenanceDecision(
        interval_days=91,
        shortened=False,
        reason=MaintenanceReason.SCORE_IMPROVED,
        message="Primary score improved (9 -> 7): next maintenance in 91 days.",
    )


@pytest.mark.parametrize("direction", [LOWER, HIGHER])
def test_unchanged_score_keeps_the_default_interval(direction):
    # given
    previous, latest = Decimal("4.0"), 4

    # when
    decision = decide_maintenance_interval(
        direction=direction, previous_score=previous, latest_score=latest
    )

    # then
    assert (decision.interval_days, decision.shortened, decision.reason) == (
        91,
        False,
        MaintenanceReason.SCORE_UNCHANGED,
    )
    assert decision.message == "Primary score held (4.0 -> 4): next maintenance in 91 days."


def test_falling_hair_density_is_a_worsening():
    # given: higher is better for hairs per cm²
    previous, latest = Decimal("162.5"), Decimal("150")

    # when
    decision = decide_maintenance_interval(
        direction=HIGHER, previous_score=previous, latest_score=latest
    )

    # then
    assert (decision.interval_days, decision.shortened, decision.reason) == (
        56,
        True,
        MaintenanceReason.SCORE_WORSENED,
    )


def test_rising_hair_density_is_an_improvement():
    # given
    previous, latest = 150, 162.5

    # when
    decision = decide_maintenance_interval(
        direction=HIGHER, previous_score=previous, latest_score=latest
    )

    # then
    assert (decision.interval_days, decision.shortened, decision.reason) == (
        91,
        False,
        MaintenanceReason.SCORE_IMPROVED,
    )


def test_direction_may_be_given_as_its_string_code():
    # given
    direction = "higher_is_better"

    # when
    decision = decide_maintenance_interval(
        direction=direction,  # type: ignore[arg-type]
        previous_score=150,
        latest_score=140,
    )

    # then
    assert decision.shortened is True


@pytest.mark.parametrize("gais", [4, 5])
def test_gais_no_change_or_worse_shortens_the_interval(gais):
    # given
    direction = LOWER

    # when
    decision = decide_maintenance_interval(direction=direction, latest_gais=gais)

    # then
    assert decision == MaintenanceDecision(
        interval_days=56,
        shortened=True,
        reason=MaintenanceReason.GAIS_NO_RESPONSE,
        message=f"GAIS is {gais} (no response): next maintenance in 56 days.",
    )


@pytest.mark.parametrize("gais", [1, 2, 3])
def test_gais_improved_keeps_the_default_interval(gais):
    # given
    direction = LOWER

    # when
    decision = decide_maintenance_interval(direction=direction, latest_gais=gais)

    # then
    assert decision == MaintenanceDecision(
        interval_days=91,
        shortened=False,
        reason=MaintenanceReason.GAIS_RESPONDING,
        message=f"GAIS is {gais} (responding): next maintenance in 91 days.",
    )


def test_gais_no_response_shortens_even_when_the_score_improved():
    # given
    previous, latest, gais = 10, 8, 5

    # when
    decision = decide_maintenance_interval(
        direction=LOWER, previous_score=previous, latest_score=latest, latest_gais=gais
    )

    # then
    assert (decision.interval_days, decision.shortened, decision.reason) == (
        56,
        True,
        MaintenanceReason.GAIS_NO_RESPONSE,
    )


def test_worsened_score_shortens_even_when_gais_says_improved():
    # given
    previous, latest, gais = 2, 3, 3

    # when
    decision = decide_maintenance_interval(
        direction=LOWER, previous_score=previous, latest_score=latest, latest_gais=gais
    )

    # then
    assert (decision.interval_days, decision.shortened, decision.reason) == (
        56,
        True,
        MaintenanceReason.SCORE_WORSENED,
    )


def test_both_signals_are_named_when_both_say_worse():
    # given
    previous, latest, gais = 2, 3, 4

    # when
    decision = decide_maintenance_interval(
        direction=LOWER, previous_score=previous, latest_score=latest, latest_gais=gais
    )

    # then
    assert decision.reason == MaintenanceReason.SCORE_WORSENED
    assert decision.reason == "score_worsened"
    assert decision.message == (
        "Primary score worsened from 2 to 3, and GAIS is 4 (no response): "
        "next maintenance in 56 days."
    )


def test_improved_score_with_gais_responding_reports_the_score():
    # given
    previous, latest, gais = 3, 2, 2

    # when
    decision = decide_maintenance_interval(
        direction=LOWER, previous_score=previous, latest_score=latest, latest_gais=gais
    )

    # then
    assert (decision.interval_days, decision.reason) == (91, MaintenanceReason.SCORE_IMPROVED)


def test_nothing_to_compare_keeps_the_default_interval():
    # given
    direction = LOWER

    # when
    decision = decide_maintenance_interval(direction=direction)

    # then
    assert decision == MaintenanceDecision(
        interval_days=91,
        shortened=False,
        reason=MaintenanceReason.NO_COMPARISON,
        message="No earlier score or GAIS to compare: next maintenance in 91 days.",
    )


@pytest.mark.parametrize(("previous", "latest"), [(None, 9), (9, None)])
def test_a_single_score_is_not_a_comparison(previous, latest):
    # given / when
    decision = decide_maintenance_interval(
        direction=LOWER, previous_score=previous, latest_score=latest
    )

    # then
    assert (decision.interval_days, decision.reason) == (91, MaintenanceReason.NO_COMPARISON)


def test_clinic_intervals_are_configurable():
    # given
    config = MaintenanceConfig(default_interval_days=120, shortened_interval_days=60)

    # when
    worse = decide_maintenance_interval(
        direction=LOWER, previous_score=1, latest_score=2, config=config
    )
    better = decide_maintenance_interval(
        direction=LOWER, previous_score=2, latest_score=1, config=config
    )

    # then
    assert (worse.interval_days, better.interval_days) == (60, 120)
    assert worse.message.endswith("next maintenance in 60 days.")


@pytest.mark.parametrize(
    ("default", "shortened"),
    [(56, 91), (0, 0), (91, 0), (-1, -7), (91.0, 56), (True, True), (91, "56")],
)
def test_config_refuses_impossible_intervals(default, shortened):
    # given / when
    with pytest.raises(ValueError, match="interval_days") as caught:
        MaintenanceConfig(default_interval_days=default, shortened_interval_days=shortened)

    # then
    assert isinstance(caught.value, ValueError)


def test_config_allows_equal_intervals_to_switch_adaptation_off():
    # given
    config = MaintenanceConfig(default_interval_days=91, shortened_interval_days=91)

    # when
    decision = decide_maintenance_interval(
        direction=LOWER, previous_score=1, latest_score=2, config=config
    )

    # then
    assert (decision.interval_days, decision.shortened) == (91, True)


@pytest.mark.parametrize("gais", [0, 6, True, 3.0, "4"])
def test_gais_outside_one_to_five_is_refused(gais):
    # given / when
    with pytest.raises(ValueError, match="latest_gais must be a whole number from 1 to 5") as c:
        decide_maintenance_interval(direction=LOWER, latest_gais=gais)

    # then
    assert str(c.value).endswith(f"not {gais!r}.")


@pytest.mark.parametrize("bad", [True, False, "7", float("nan"), float("inf"), Decimal("NaN")])
def test_non_numeric_scores_are_refused(bad):
    # given / when
    with pytest.raises(ValueError, match="latest_score must be a") as caught:
        decide_maintenance_interval(direction=LOWER, previous_score=1, latest_score=bad)

    # then
    assert isinstance(caught.value, ValueError)


def test_a_scale_with_no_direction_cannot_guide_maintenance():
    # given
    direction = Direction.NOT_APPLICABLE

    # when
    with pytest.raises(ValueError, match="no direction") as caught:
        decide_maintenance_interval(direction=direction, previous_score=1, latest_score=2)

    # then
    assert isinstance(caught.value, ValueError)


def test_unknown_direction_is_refused():
    # given / when
    with pytest.raises(ValueError, match="sideways") as caught:
        decide_maintenance_interval(
            direction="sideways",  # type: ignore[arg-type]
            previous_score=1,
            latest_score=2,
        )

    # then
    assert isinstance(caught.value, ValueError)


def test_next_target_adds_the_shortened_interval_to_the_last_session_day():
    # given
    decision = decide_maintenance_interval(direction=LOWER, latest_gais=5)

    # when
    target = next_maintenance_target(date(2027, 3, 5), decision)

    # then
    assert target == date(2027, 4, 30)


def test_next_target_adds_the_default_interval_across_a_year_end():
    # given
    decision = decide_maintenance_interval(direction=LOWER, latest_gais=2)

    # when
    target = next_maintenance_target(date(2027, 11, 15), decision)

    # then
    assert target == date(2028, 2, 14)


def test_next_target_refuses_a_datetime():
    # given
    decision = decide_maintenance_interval(direction=LOWER)
    moment = datetime(2027, 3, 5, 10, 0, tzinfo=UTC)

    # when
    with pytest.raises(TypeError, match="must be a date, not a datetime") as caught:
        next_maintenance_target(moment, decision)

    # then
    assert isinstance(caught.value, TypeError)


def test_pigmentation_maintenance_from_scored_assessments():
    # given: the primary scale and two mMASI assessments
    scale = primary_scale_for("pigmentation")
    assert scale is not None
    regions = ("forehead", "left_malar", "right_malar", "chin")
    before = score(scale.code, {f"{r}_{i}": 2 for r in regions for i in ("area", "darkness")})
    after = score(scale.code, {f"{r}_{i}": 3 for r in regions for i in ("area", "darkness")})
    assert isinstance(before.score, Decimal)
    assert isinstance(after.score, Decimal)

    # when
    decision = decide_maintenance_interval(
        direction=scale.direction, previous_score=before.score, latest_score=after.score
    )

    # then
    assert (before.score, after.score) == (Decimal("4.0"), Decimal("9.0"))
    assert (decision.interval_days, decision.reason) == (56, MaintenanceReason.SCORE_WORSENED)


scores = st.one_of(
    st.integers(min_value=-1000, max_value=1000),
    st.decimals(min_value=-1000, max_value=1000, allow_nan=False, places=1),
    st.floats(min_value=-1000, max_value=1000, allow_nan=False),
)


@given(previous=scores, latest=scores, direction=st.sampled_from([LOWER, HIGHER]))
def test_interval_is_shortened_exactly_when_the_score_worsened(previous, latest, direction):
    # given
    worsened = latest > previous if direction is LOWER else latest < previous

    # when
    decision = decide_maintenance_interval(
        direction=direction, previous_score=previous, latest_score=latest
    )

    # then
    assert decision.shortened is worsened
    assert decision.interval_days == (56 if worsened else 91)


@given(
    previous=scores,
    latest=scores,
    gais=st.one_of(st.none(), st.integers(min_value=1, max_value=5)),
    direction=st.sampled_from([LOWER, HIGHER]),
)
def test_interval_is_always_one_of_the_configured_two(previous, latest, gais, direction):
    # given
    config = MaintenanceConfig(default_interval_days=100, shortened_interval_days=40)

    # when
    decision = decide_maintenance_interval(
        direction=direction,
        previous_score=previous,
        latest_score=latest,
        latest_gais=gais,
        config=config,
    )

    # then
    assert decision.interval_days == (40 if decision.shortened else 100)
    assert decision.shortened is (decision.reason in {"score_worsened", "gais_no_response"})
