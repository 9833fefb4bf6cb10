"""Process-wide settings for a serving gateway: garbage collection tuned for many short-lived response objects.

CPython's cyclic collector runs a generation-0 pass every 700 net allocations of container objects by default
(``gc.get_threshold()``). One benchmark query allocates tens of thousands of dicts and lists (decoded subgraph
answers, merged data, the shaped response), so the collector runs many times per request and now and then walks
the older generations, which hold the supergraph, its schemas and the cached plans: pauses that show as the p99
latency. Nearly all response objects die by reference counting, so collecting rarely loses nothing.
"""

from __future__ import annotations

import gc

__all__ = ["SERVING_GC_THRESHOLDS", "tune_gc_for_serving"]

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
