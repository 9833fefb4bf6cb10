"""GC tuning for serving: thresholds raised, objects alive at start-up frozen, previous thresholds returned."""

from __future__ import annotations

import gc

from gateway.server.runtime import SERVING_GC_THRESHOLDS, tune_gc_for_serving


def test_tune_gc_for_serving_sets_thresholds_and_freezes() -> None:
    before = gc.get_threshold()
    frozen_before = gc.get_freeze_count()
    try:
        previous = tune_gc_for_serving()
        assert previous == before
        assert gc.get_threshold() == SERVING_GC_THRESHOLDS
        assert gc.get_freeze_count() > frozen_before
        tune_gc_for_serving((1000, 20, 30), freeze=False)
        assert gc.get_threshold() == (1000, 20, 30)
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
