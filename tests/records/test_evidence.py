"""Outcome statistics across clients (pure), checked against scipy's reference values."""

from __future__ import annotations

import math

import pytest
from scipy import stats

from mesoclinic.records.evidence import (
    Reading,
    mean_interval,
    outcome_steps,
    t_cdf,
    t_quantile,
    trajectories,
)

pytestmark = pytest.mark.pure


@pytest.mark.parametrize("df", [1, 2, 3, 4, 5, 9, 19, 29, 60, 200])
@pytest.mark.parametrize("p", [0.005, 0.025, 0.1, 0.5, 0.9, 0.975, 0.995])
def test_t_quantile_matches_scipy(p, df):
    assert t_quantile(p, df) == pytest.approx(stats.t.ppf(p, df), abs=1e-7)


@pytest.mark.parametrize("t", [-12.0, -2.5, -0.3, 0.0, 0.7, 1.96, 4.0])
@pytest.mark.parametrize("df", [1, 3, 10, 50])
def test_t_cdf_matches_scipy(t, df):
    assert t_cdf(t, df) == pytest.approx(stats.t.cdf(t, df), abs=1e-10)


def test_the_interval_is_scipys_t_interval():
    values = [-4.2, -3.1, -5.0, -1.2, -2.8, -3.9, 0.4]

    interval = mean_interval(values)
    low, high = stats.t.interval(
        0.95, len(values) - 1, loc=stats.tmean(values), scale=stats.sem(values)
    )

    assert (interval.n, interval.mean) == (7, pytest.approx(sum(values) / 7))
    assert (interval.low, interval.high) == (pytest.approx(low), pytest.approx(high))


def test_one_value_has_no_interval():
    interval = mean_interval([2.0])

    assert (interval.n, interval.mean, interval.low, interval.high) == (1, 2.0, None, None)


def test_a_clients_later_reading_at_the_same_count_replaces_the_earlier():
    readings = [Reading(1, 0, 10.0), Reading(1, 3, 8.0), Reading(1, 3, 7.0)]

    assert [r.score for r in trajectories(readings)[1]] == [10.0, 7.0]


def test_change_from_baseline_by_sessions_with_mmasi_50_responders():
    # baselines 10, 8 and 5; after 3 sessions 4 (-60 %), 6 (-25 %) and 2.5 (-50 %);
    # client 4's first reading came after a session: no baseline, left out
    readings = [
        Reading(1, 0, 10.0),
        Reading(1, 3, 4.0),
        Reading(1, 6, 2.0),
        Reading(2, 0, 8.0),
        Reading(2, 3, 6.0),
        Reading(3, 0, 5.0),
        Reading(3, 3, 2.5),
        Reading(4, 1, 6.0),
        Reading(4, 3, 3.0),
    ]

    steps = outcome_steps("mmasi", readings)

    assert [(s.sessions, s.n, s.responders) for s in steps] == [(3, 3, 2), (6, 1, 1)]
    three = steps[0]
    changes = [-6.0, -2.0, -2.5]
    low, high = stats.t.interval(0.95, 2, loc=sum(changes) / 3, scale=stats.sem(changes))
    assert three.interval.mean == pytest.approx(-10.5 / 3)
    assert (three.interval.low, three.interval.high) == (pytest.approx(low), pytest.approx(high))
    assert three.responder_share == pytest.approx(2 / 3)


def test_a_client_with_only_a_baseline_adds_nothing():
    assert outcome_steps("mmasi", [Reading(1, 0, 9.0)]) == []


def test_gais_is_summarised_as_rated_with_improved_as_responders():
    readings = [Reading(1, 2, 3.0), Reading(2, 2, 2.0), Reading(3, 2, 4.0), Reading(1, 5, 2.0)]

    steps = outcome_steps("gais", readings)

    assert [(s.sessions, s.n, s.responders) for s in steps] == [(2, 3, 2), (5, 1, 1)]
    assert steps[0].interval.mean == pytest.approx(3.0)


def test_hair_density_responds_upwards():
    readings = [
        Reading(1, 0, 140.0),
        Reading(1, 4, 155.0),
        Reading(2, 0, 150.0),
        Reading(2, 4, 152.0),
    ]

    [step] = outcome_steps("hair-density", readings)

    assert (step.responders, step.interval.mean) == (1, pytest.approx(8.5))
    assert not math.isnan(step.interval.low)
