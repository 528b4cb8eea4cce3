"""Process tuning for long-lived workers."""

from __future__ import annotations

import gc

from mesoclinic.core.runtime import tune_long_lived_process


def test_tuning_moves_the_loaded_objects_out_of_the_collectors_reach():
    # given nothing frozen yet
    gc.unfreeze()
    try:
        # when
        tune_long_lived_process()
        # then the application's objects are frozen
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
