"""Per-request batch loading where one caller's cancellation never reaches another caller of the same key.

Strawberry's ``DataLoader`` hands every caller of a key the same future. When one field fails, graphql-core
cancels its sibling fields (``gather_with_cancel``), and cancelling a task that awaits a future cancels the
future itself: every other field awaiting that key then fails with ``CancelledError`` (an HTTP 500). Here each
caller awaits its own shield of the shared future, so a cancelled caller stops waiting and nothing else changes;
the batch still runs and its answers stay cached for the rest of the request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from strawberry.dataloader import DataLoader

__all__ = ["Loader"]

K = TypeVar("K")
T = TypeVar("T")


class Loader(DataLoader[K, T]):
    """``DataLoader`` whose loads can be cancelled one caller at a time."""

    def load(self, key: K) -> Awaitable[T]:
        return asyncio.shield(super().load(key))
