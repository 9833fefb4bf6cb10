"""De-duplication of identical subgraph requests in flight: one goes out, every caller gets its answer.

Only for queries (the caller decides): two identical mutations are two intended writes. The shared work
runs as its own task, so a caller that goes away cancels neither the request nor the others' wait.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["InflightRequests"]

T = TypeVar("T")


class InflightRequests(Generic[T]):
    """Runs ``send()`` once per key among concurrent callers; ``shared`` counts callers that joined one."""

    __slots__ = ("_running", "shared")

    def __init__(self) -> None:
        self._running: dict[Hashable, asyncio.Future[T]] = {}
        self.shared = 0  # callers answered by an identical request in flight (for tests and metrics)

    async def run(self, key: Hashable, send: Callable[[], Awaitable[T]]) -> T:
        """``send()``'s result (or error), shared with every caller that asks with an equal key meanwhile."""
        running = self._running.get(key)
        if running is None:
            running = asyncio.ensure_future(send())
            self._running[key] = running
            running.add_done_callback(lambda done: self._finished(key, done))
        else:
            self.shared += 1
        return await asyncio.shield(running)

    def __len__(self) -> int:
        return len(self._running)

    def _finished(self, key: Hashable, done: asyncio.Future[T]) -> None:
        if self._running.get(key) is done:
            del self._running[key]
        if not done.cancelled():
            done.exception()  # retrieved, so a failure no caller awaits any more is not logged as unhandled
