"""The one way to delete audit entries: the audit table is append-only (triggers from
migration ``core.0003_append_only_audit`` refuse ``UPDATE`` always and ``DELETE``/
``TRUNCATE`` otherwise).

The application never deletes an entry. This exists for two things only: the test
suite's database flush (transactional and browser tests empty every table after each test)
and a deliberate retention purge by an operator, run from ``mesoclinic manage shell``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections, transaction


@contextmanager
def audit_erasure_allowed(*, reason: str, using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Within this block, and only in its transaction, audit entries may be deleted.

    The permission is a row in ``core_audit_erasure`` written and removed inside one
    transaction, so no other connection ever sees it; if the block fails, everything it
    did is rolled back. Updates stay refused.
    """
    with transaction.atomic(using=using):
        with connections[using].cursor() as cursor:
            cursor.execute("INSERT INTO core_audit_erasure (reason) VALUES (%s)", [reason[:200]])
        yield
        with connections[using].cursor() as cursor:
            cursor.execute("DELETE FROM core_audit_erasure")
