"""``selectors.remembered.Remembered``: least recently used, answers only for the owner
it was stored with, and never keeps an owner alive."""

from __future__ import annotations

import gc
import weakref

from mesoclinic.scheduling.selectors.remembered import Remembered


class Owner:
    """A stand-in for a site's resources (anything weakly referable)."""


def test_an_entry_answers_for_its_own_owner_only():
    memo: Remembered[str] = Remembered()
    owner, other = Owner(), Owner()
    memo.put("key", owner, "slots")
    assert memo.get("key", owner) == "slots"
    assert memo.get("key", other) is None
    # an entry whose owner was replaced is dropped at once
    assert len(memo) == 0


def test_the_least_recently_used_entry_goes_first():
    memo: Remembered[int] = Remembered(size=2)
    owner = Owner()
    memo.put("a", owner, 1)
    memo.put("b", owner, 2)
    memo.get("a", owner)
    memo.put("c", owner, 3)
    assert (memo.get("a", owner), memo.get("b", owner), memo.get("c", owner)) == (1, None, 3)


def test_an_entry_does_not_keep_its_owner_alive():
    memo: Remembered[str] = Remembered()
    owner = Owner()
    gone = weakref.ref(owner)
    memo.put("key", owner, "slots")
    del owner
    gc.collect()
    assert gone() is None
    assert memo.get("key", Owner()) is None
