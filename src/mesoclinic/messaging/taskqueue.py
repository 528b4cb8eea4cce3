"""Kept only so ``tests/e2e`` can still import ``run_pending`` from here; use
:mod:`mesoclinic.messaging.worker`. The queue itself is django-tasks-db's."""

from mesoclinic.messaging.worker import run_pending

__all__ = ["run_pending"]
