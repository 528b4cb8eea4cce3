"""``one_site._by_id``: busy rows grouped by whose they are, as a mask per id would."""

from __future__ import annotations

import random

import numpy as np
import pytest

from mesoclinic.scheduling.selectors.one_site import _by_id


def _masked(ids, starts, ends, wanted):
    pairs = np.column_stack((starts, ends))
    return {key: pairs[ids == key] for key in wanted}


@pytest.mark.parametrize("seed", range(20))
def test_grouping_matches_a_mask_per_id_in_row_order(seed):
    # given: rows of a few ids in random order, and wanted ids some of which hold none
    rng = random.Random(seed)  # noqa: S311 - a reproducible test sequence, not a secret
    count = rng.randrange(0, 60)
    ids = np.array([rng.randrange(1, 8) for _ in range(count)], dtype=np.int64)
    starts = np.array([rng.randrange(0, 10_000) for _ in range(count)], dtype=np.int64)
    ends = starts + rng.randrange(15, 120)
    wanted = rng.sample(range(10), rng.randrange(0, 10))
    # when
    grouped = _by_id(ids, starts, ends, wanted)
    # then: the same keys in the same order, each with its rows in their original order
    expected = _masked(ids, starts, ends, wanted)
    assert list(grouped) == list(expected)
    for key in wanted:
        assert grouped[key].shape == expected[key].shape == (int((ids == key).sum()), 2)
        assert grouped[key].tolist() == expected[key].tolist()


def test_a_generator_of_wanted_ids_is_read_once():
    ids = np.array([3, 1, 3], dtype=np.int64)
    starts = np.array([30, 10, 20], dtype=np.int64)
    grouped = _by_id(ids, starts, starts + 5, (key for key in (3, 2)))
    assert grouped[3].tolist() == [[30, 35], [20, 25]]
    assert grouped[2].shape == (0, 2)
