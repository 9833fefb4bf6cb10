"""Whether a user or a product exists, asked of the service that owns it (its ``_entities``), batched per request.

``node(id:)`` answers for every type, but only the users and products services know which users and products
exist; this service never reads their tables.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from subgraphs.common.entities import EntityClient
from subgraphs.common.ids import encode_id
from subgraphs.common.loaders import Loader

__all__ = ["Owners"]


class Owners:
    """One loader per owned type: N look-ups in one request cost one ``_entities`` call to the owner."""

    def __init__(self, *, users: EntityClient, products: EntityClient) -> None:
        self._clients = {"User": users, "Product": products}
        self._loaders = {name: Loader(self._batch(name)) for name in self._clients}

    def _batch(self, type_name: str) -> Callable[[Sequence[int]], Awaitable[list[bool]]]:
        async def exists(keys: Sequence[int]) -> list[bool]:
            found = await self._clients[type_name].resolve(
                type_name, [{"id": encode_id(type_name, k)} for k in keys], "id"
            )
            return [entity is not None for entity in found]

        return exists

    async def exists(self, type_name: str, pk: int) -> bool:
        return await self._loaders[type_name].load(pk)
