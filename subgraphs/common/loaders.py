"""Per-request batch loading where one caller's cancellation never reaches another caller of the same key.

Strawberry's ``DataLoader`` hands every caller of a key the same future. When one field fails, graphql-core
cancels its sibling fields (``gather_with_cancel``), and cancelling a task that awaits a future cancels the
future itself: every other field awaiting that key then fails with ``CancelledError`` (an HTTP 500). Here each
caller awaits its own shield of the shared future, so a cancelled caller stops waiting and nothing else changes;
the batch still runs and its answers stay cached for the rest of the request.

A batch also takes at most ``MAX_BATCH_SIZE`` keys: PostgreSQL refuses a statement with more than 32,767
parameters, so a larger request costs a few queries instead of failing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

__all__ = ["MAX_BATCH_SIZE", "Loader"]

MAX_BATCH_SIZE = 5000

K = TypeVar("K")
T = TypeVar("T")


class Loader(DataLoader[K, T]):
    """``DataLoader`` whose loads can be cancelled one caller at a time."""

    def __init__(
        self,
        load_fn: Callable[[list[K]], Awaitable[Sequence[T]]],
        *,
        max_batch_size: int = MAX_BATCH_SIZE,
        **options: Any,
    ) -> None:
        super().__init__(load_fn, max_batch_size=max_batch_size, **options)

    def load(self, key: K) -> Awaitable[T]:
        return asyncio.shield(super().load(key))
