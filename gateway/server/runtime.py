"""Process-wide settings for a serving gateway: garbage collection tuned for many short-lived response objects.

CPython's cyclic collector runs a generation-0 pass every 700 net allocations of container objects by default
(``gc.get_threshold()``). One benchmark query allocates tens of thousands of dicts and lists (decoded subgraph
answers, merged data, the shaped response), so the collector runs many times per request and now and then walks
the older generations, which hold the supergraph, its schemas and the cached plans: pauses that show as the p99
latency. Nearly all response objects die by reference counting, so collecting rarely loses nothing.

Cached plans are long-lived too, and there are many of them: a full plan cache holds a few hundred thousand
container objects (documents, plans), and a full collection walking them stopped the whole process for 1.5 s
under a fuzz run (``/health`` included). ``PermanentGeneration`` moves them out of the collector's way as they
are cached: it collects what is garbage at that moment, then freezes everything alive (``gc.freeze``), at most
once per interval. Frozen objects are still freed by reference counting when the cache lets them go, which is
why cached plans, their documents and what the executor compiles from them hold no reference cycle
(``gateway.server.pipeline._parse``, ``gateway.execution.shaping._Compiler``; tested with the collector
off in ``tests/server/test_plan_cache.py``): an evicted entry with one stayed for good. Only a cycle alive
at that moment and dropped later stays until ``release`` (called when the supergraph is swapped). Requests
running hold such cycles (graphql-core's visitors, exceptions with their frames): freezing them in flight
leaked about 0.5 MB a second under a fuzz run, so the freeze waits for a moment no request runs, or for
``busy_interval`` under requests that never pause.

The collection before each freeze walks everything allocated since the last one, so its pause grows with the
interval: at one second it stopped the event loop for up to 100 ms under bench/abuse.py's fuzzing (about
100 new plans a second), at 0.2 s for up to 70 ms, for the same total time.
"""

from __future__ import annotations

import gc
import threading
import time

from gateway.server.memory import trim

__all__ = ["SERVING_GC_THRESHOLDS", "PermanentGeneration", "tune_gc_for_serving"]

SERVING_GC_THRESHOLDS = (50_000, 50, 100)


def tune_gc_for_serving(
    thresholds: tuple[int, int, int] = SERVING_GC_THRESHOLDS, *, freeze: bool = True
) -> tuple[int, int, int]:
    """Raise the collector's thresholds and, with ``freeze``, move every object alive now (the loaded supergraph,
    imported modules) to the permanent generation that collections skip (``gc.freeze``). Call it once, after
    loading the supergraph and before serving. Returns the previous thresholds.
    """
    previous = gc.get_threshold()
    if freeze:
        gc.collect()
        gc.freeze()
    gc.set_threshold(*thresholds)
    return (previous[0], previous[1], previous[2])


class PermanentGeneration:
    """Freezes what is alive after a plan is cached (see the module docstring); off unless ``enabled``."""

    def __init__(self, *, enabled: bool = False, interval: float = 0.2, busy_interval: float = 10.0) -> None:
        self.enabled = enabled
        self.interval = interval
        # Under requests that never pause, freeze anyway this often (bounding the collector's full passes).
        self.busy_interval = busy_interval
        self._last = float("-inf")
        self._pending = False
        self._lock = threading.Lock()

    def after_caching(self, *, busy: bool = False) -> bool:
        """Collect, then freeze every object alive now; whether it did (at most once per ``interval``).

        ``busy``: requests are running. What they hold is alive now and garbage soon, and frozen it would
        never be collected (cycles: graphql-core's visitors, exceptions with their frames). So the freeze
        waits for ``idle`` (no request running), or at most ``busy_interval`` seconds."""
        if not self.enabled:
            return False
        with self._lock:
            now = time.monotonic()
            if now - self._last < self.interval or (busy and now - self._last < self.busy_interval):
                self._pending = True
                return False
            self._pending = False
            self._last = now
            # Only what was allocated since the last freeze is walked: the frozen objects are not.
            gc.collect()
            gc.freeze()
            trim()  # what the collection and the cache's evictions freed goes back (gateway.server.memory)
            return True

    def idle(self) -> bool:
        """No request is running now: freeze what caching left pending; whether it did."""
        return self._pending and self.after_caching()

    def release(self) -> None:
        """Back into the collector's generations (the old plans are going): cycles frozen meanwhile are freed."""
        if self.enabled:
            gc.unfreeze()
            gc.collect()
            gc.freeze()  # what is alive now (the new supergraph) stays out of the collections again
