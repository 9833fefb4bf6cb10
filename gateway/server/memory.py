"""Giving freed memory back to the operating system (glibc's allocator keeps it by default).

CPython frees a large document's text, its request body and its tokens when a request is done, but glibc's
``malloc`` keeps freed blocks for reuse: after one large allocation it raises its mmap threshold (up to 32 MiB),
so later large blocks come from the heap and arenas, whose free space is returned only at their top. A gateway
that parsed many large documents then stays large (see ``bench/plan_cache_memory.py``). A fixed mmap threshold
maps every large block on its own, so freeing it returns it; ``release_memory`` trims every arena after the
plan cache is emptied, and ``trim`` alone returns the free pages ``malloc`` holds whenever cached plans are
frozen (``gateway.server.runtime``): a plan cache turning over leaves freed blocks between live ones, and
under bench/abuse.py's fuzzing trimming kept about 8 MB of RSS off (it takes well under a millisecond).
Elsewhere than glibc all do nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc

__all__ = ["MMAP_THRESHOLD", "keep_large_blocks_apart", "release_memory", "trim"]

MMAP_THRESHOLD = 128 * 1024  # glibc's own initial value, kept fixed
_M_MMAP_THRESHOLD = -3  # from glibc's malloc.h


@functools.cache
def _libc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None


def keep_large_blocks_apart(threshold: int = MMAP_THRESHOLD) -> bool:
    """Fix glibc's mmap threshold, so blocks of ``threshold`` bytes or more go back when freed. True if set."""
    libc = _libc()
    return bool(libc is not None and libc.mallopt(_M_MMAP_THRESHOLD, threshold))


def trim() -> None:
    """Return the free memory of every ``malloc`` arena to the operating system."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


def release_memory() -> None:
    """Collect unreachable cycles and return every arena's free memory (call when caches are emptied)."""
    gc.collect()
    trim()
