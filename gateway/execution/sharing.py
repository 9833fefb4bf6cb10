"""Shared upstream streams: identical subscriptions read one upstream subscription.

Two client subscriptions are identical upstream when they send the same subgraph operation with the same
variables and the same forwarded headers (the auth context: the verified claims travel in a header), or, for
an event-driven field, read the same subjects from the same provider. The first opens the upstream stream;
later ones join it and get the events that arrive **from the moment they join: nothing is replayed** (a late
subscriber to ``orderStatusChanged`` sees the next status change, not the ones before it). The upstream is
closed when the last subscriber leaves (reference counted), and when it ends or fails every subscriber sees
the same end.

Each subscriber has its own queue, so a slow client delays only itself; the queue is bounded
(``max_pending``): a subscriber that falls that far behind is ended with :class:`StreamOverflow` rather than
holding the process's memory. (asyncio has no broadcast channel; this is one, with reference counting.)
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["SharedStreams", "StreamOverflow"]

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)

_END = object()


class StreamOverflow(Exception):
    """A subscriber fell more than ``max_pending`` events behind its upstream."""


class _Upstream(Generic[T]):
    __slots__ = ("queues", "task")

    def __init__(self) -> None:
        self.queues: set[asyncio.Queue[object]] = set()
        self.task: asyncio.Task[None] | None = None


class SharedStreams(Generic[K, T]):
    """Upstream streams by key, each read once and fanned out to every subscriber of that key."""

    def __init__(self, *, max_pending: int = 1000) -> None:
        self.max_pending = max_pending
        self._upstreams: dict[K, _Upstream[T]] = {}

    def __len__(self) -> int:
        """Upstream streams open now."""
        return len(self._upstreams)

    def subscribers(self, key: K) -> int:
        upstream = self._upstreams.get(key)
        return len(upstream.queues) if upstream is not None else 0

    async def stream(self, key: K, open_upstream: Callable[[], AsyncIterator[T]]) -> AsyncIterator[T]:
        """The events of the upstream ``key`` from now on, opening it with ``open_upstream`` if none is open."""
        upstream = self._upstreams.get(key)
        if upstream is None:
            upstream = self._upstreams[key] = _Upstream()
            upstream.task = asyncio.get_running_loop().create_task(self._pump(key, upstream, open_upstream))
        queue: asyncio.Queue[object] = asyncio.Queue()
        upstream.queues.add(queue)
        try:
            while True:
                item = await queue.get()
                if item is _END:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item  # type: ignore[misc]
        finally:
            upstream.queues.discard(queue)
            if not upstream.queues and self._upstreams.get(key) is upstream:
                del self._upstreams[key]
                if upstream.task is not None and not upstream.task.done():
                    upstream.task.cancel()

    async def _pump(
        self, key: K, upstream: _Upstream[T], open_upstream: Callable[[], AsyncIterator[T]]
    ) -> None:
        end: object = _END
        iterator = open_upstream()
        try:
            async for item in iterator:
                for queue in list(upstream.queues):
                    if queue.qsize() >= self.max_pending:
                        upstream.queues.discard(queue)
                        queue.put_nowait(StreamOverflow())
                    else:
                        queue.put_nowait(item)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            end = exc
        finally:
            aclose = getattr(iterator, "aclose", None)
            if aclose is not None:
                await aclose()
            if self._upstreams.get(key) is upstream:
                del self._upstreams[key]
        for queue in upstream.queues:
            queue.put_nowait(end)
