"""In-flight de-duplication of identical client query operations: one execution, every identical caller awaits it.

Two requests are identical when they carry the same document text, operation name, variables, progressive
override labels and auth context (the headers forwarded to subgraphs plus ``Authorization`` and ``Cookie``).
Only queries are shared: GraphQL spec section 6.2.1 lets query fields run in any order and any number of times,
mutations (section 6.2.2) have side effects and always run once per request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Mapping
from typing import Any, TypeVar

import orjson

__all__ = ["AUTH_HEADERS", "InflightOperations", "operation_key"]

T = TypeVar("T")

AUTH_HEADERS = ("authorization", "cookie")


def operation_key(
    query: str,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    override_labels: frozenset[str],
    forwarded: Mapping[str, str] | None,
    request_headers: Mapping[str, str] | None,
) -> Hashable | None:
    """The identity of a client operation for sharing, or ``None`` when it cannot be computed safely.

    ``forwarded`` are the headers the executor sends to subgraphs (lower-case names); ``Authorization`` and
    ``Cookie`` from ``request_headers`` are added even when not forwarded, so two users never share an answer.
    """
    if variables:
        try:
            variables_key: bytes = orjson.dumps(variables, option=orjson.OPT_SORT_KEYS)
        except TypeError:
            return None
    else:
        variables_key = b""
    auth: list[tuple[str, str]] = sorted(forwarded.items()) if forwarded else []
    if request_headers:
        for name in AUTH_HEADERS:
            if forwarded is None or name not in forwarded:
                value = request_headers.get(name)
                if value is not None:
                    auth.append((name, value))
    return (query, operation_name, variables_key, override_labels, tuple(auth))


class InflightOperations:
    """The executions in progress by key; a caller with a key already running awaits that execution's outcome.

    The shared execution runs as its own task, so a caller that goes away (its client disconnected) cancels
    neither the execution nor the other callers' wait. An exception raised by the execution reaches every caller.
    """

    def __init__(self) -> None:
        self._running: dict[Hashable, asyncio.Future[Any]] = {}
        self.shared = 0  # callers that awaited another caller's execution (for tests and metrics)

    def __len__(self) -> int:
        return len(self._running)

    async def run(self, key: Hashable, execute: Callable[[], Awaitable[T]]) -> T:
        """Await the execution running under ``key``, or start ``execute()`` under it."""
        running = self._running.get(key)
        if running is not None:
            self.shared += 1
            result: T = await asyncio.shield(running)
            return result
        task: asyncio.Future[T] = asyncio.ensure_future(execute())
        self._running[key] = task
        task.add_done_callback(lambda done: self._finished(key, done))
        return await asyncio.shield(task)

    def _finished(self, key: Hashable, task: asyncio.Future[Any]) -> None:
        if self._running.get(key) is task:
            del self._running[key]
        if not task.cancelled():
            task.exception()  # retrieved, so a failure no caller awaited any more is not logged as unhandled
