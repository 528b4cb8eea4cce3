"""The busy cache's snapshot (``scheduling.busy._Snapshot``) as pure arrays: a base in
start order with an overlay of changes, against a plain dictionary of the same rows."""

from __future__ import annotations

import random

import pytest

from mesoclinic.scheduling import busy, revisions

DATABASE = ("test", "test")
STAMP = revisions.Stamp(database=DATABASE, epoch=1, revision=0)
FIRST, LAST = 0, 10_000


def _row(pk: int, start: int) -> tuple[int, ...]:
    return (pk, 1, pk % 5, pk % 3, busy.NO_DEVICE, start, start + 30, start + 90)


def _as_set(rows: busy.BusyRows) -> set[tuple[int, ...]]:
    return set(zip(*(column.tolist() for column in rows.columns()), strict=True))


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("fold_after", [1, 7, 10_000])
def test_the_overlay_answers_as_the_rows_it_stands_for(seed, fold_after, monkeypatch):
    # given: a base of 300 rows in start order, and the same rows in a dictionary
    monkeypatch.setattr(busy, "FOLD_AFTER", fold_after)
    chance = random.Random(seed)  # noqa: S311 - a reproducible test sequence, not a secret
    truth = {pk: _row(pk, chance.randrange(FIRST, LAST)) for pk in range(1, 301)}
    base = busy.BusyRows.of(sorted(truth.values(), key=lambda row: row[5]))
    snapshot = busy._Snapshot(STAMP, FIRST, LAST, base, busy._NO_IDS, busy._NO_ROWS)
    next_pk = 301
    for revision in range(1, 80):
        # when: a batch of inserts, moves (some out of the span) and cancellations
        changed: list[int] = []
        for _ in range(chance.randrange(1, 4)):
            action = chance.choice(("insert", "move", "cancel"))
            if action == "insert" or not truth:
                pk, next_pk = next_pk, next_pk + 1
            else:
                pk = chance.choice(sorted(truth))
            changed.append(pk)
            if action == "cancel" and pk in truth:
                del truth[pk]
            else:
                truth[pk] = _row(pk, chance.randrange(FIRST - 500, LAST + 500))
        current = [truth[pk] for pk in set(changed) if pk in truth]
        snapshot = snapshot.caught_up(
            revisions.Stamp(DATABASE, 1, revision), changed, busy.BusyRows.of(current)
        )
        # then: every span answers with exactly the rows the dictionary holds there
        for low, high in ((FIRST, LAST), (2_000, 2_500), (9_990, LAST), (FIRST, FIRST)):
            expected = {row for row in truth.values() if low <= row[5] < high}
            assert _as_set(snapshot.between(low, high)) == expected
    assert _as_set(snapshot.folded().between(FIRST, LAST)) == _as_set(snapshot.between(FIRST, LAST))
