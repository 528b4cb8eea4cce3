"""``core.lookups.get_locked``: a row read as committed now and locked until the
transaction ends (the join-free lock is in ``tests/reliability/test_change_race.py``)."""

from __future__ import annotations

import threading

import pytest
from django.db import DatabaseError, connection, transaction

from mesoclinic.core.errors import NotFound
from mesoclinic.core.lookups import get_locked
from mesoclinic.people.models import Site


def _lockable_elsewhere(pk: int) -> bool:
    """Whether another connection can lock the site's row without waiting."""
    outcome: list[bool] = []

    def try_lock() -> None:
        try:
            with transaction.atomic():
                list(Site.objects.select_for_update(nowait=True).filter(pk=pk).values("pk"))
            outcome.append(True)
        except DatabaseError:
            outcome.append(False)
        finally:
            connection.close()

    thread = threading.Thread(target=try_lock)
    thread.start()
    thread.join()
    return outcome[0]


@pytest.mark.django_db(transaction=True)
def test_the_row_stays_locked_until_the_transaction_ends(demo):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite locks the database for a writer, not rows")
    site = Site.objects.get(code="london")
    with transaction.atomic():
        found = get_locked(Site.objects.all(), site.pk, code="site_not_found", noun="site")
        assert found.code == "london"
        assert not _lockable_elsewhere(site.pk)
    assert _lockable_elsewhere(site.pk)


@pytest.mark.django_db
def test_a_missing_row_is_a_404_with_the_code_and_noun(demo):
    with transaction.atomic(), pytest.raises(NotFound) as refused:
        get_locked(Site.objects.all(), 987654321, code="site_not_found", noun="site")
    assert refused.value.code == "site_not_found"
    assert str(refused.value) == "No site with id '987654321'."
