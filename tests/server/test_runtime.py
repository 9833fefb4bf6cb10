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


def test_cached_plans_go_to_the_permanent_generation_and_are_still_freed() -> None:
    import weakref

    from gateway.server import Gateway, ServerSettings
    from gateway.server.runtime import PermanentGeneration

    from .support import RecordingPlanner, tiny_supergraph

    assert PermanentGeneration().after_caching() is False  # off unless serving
    gateway = Gateway(
        tiny_supergraph(),
        planner=RecordingPlanner(),
        settings=ServerSettings(freeze_cached_plans=True, prepare_in_worker=False),
    )
    try:
        frozen = gc.get_freeze_count()
        entry, _ = gateway.prepare("{ hello }", None)
        assert gc.get_freeze_count() > frozen  # the new plan is out of the collector's full passes
        alive = weakref.ref(entry.plan)  # type: ignore[union-attr]
        gateway.prepare("{ topProducts { id } }", None)  # within the interval: not frozen again
        assert gateway.permanent.after_caching() is False
        del entry
        gateway.plan_cache.clear()
        assert alive() is None  # frozen, yet freed by reference counting when the cache lets it go
    finally:
        gc.unfreeze()


def test_a_plan_cached_while_requests_run_is_frozen_once_none_does() -> None:
    """What running requests hold is garbage soon; frozen, its cycles would never be collected."""
    from gateway.server.runtime import PermanentGeneration

    permanent = PermanentGeneration(enabled=True, interval=0.0, busy_interval=60.0)
    try:
        assert permanent.after_caching() is True  # no request running: at once
        frozen = gc.get_freeze_count()
        assert permanent.after_caching(busy=True) is False
        assert gc.get_freeze_count() == frozen
        assert permanent.idle() is True  # the pending freeze, now that no request runs
        assert permanent.idle() is False  # nothing pending any more
        # Requests that never pause still get their plans frozen, every busy_interval.
        permanent.busy_interval = 0.0
        assert permanent.after_caching(busy=True) is True
    finally:
        gc.unfreeze()
