"""Asking another service for entities by key (its ``_entities`` field), the only way services reach each other.

Used off the hot path (validating a write against another domain), so httpx is fine here, and tests can pass an
in-process transport (``httpx.ASGITransport``) instead of a URL on the network.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from .errors import ServiceUnavailableError
from .telemetry import instrument_http_client

__all__ = ["EntityClient"]


class EntityClient:
    def __init__(
        self,
        service: str,
        url: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 5.0,
    ) -> None:
        self.service = service
        self.url = url
        self._transport = transport
        self._timeout = timeout

    async def resolve(
        self, typename: str, representations: Sequence[dict[str, Any]], selection: str
    ) -> list[dict[str, Any] | None]:
        """One ``_entities`` call; the answer has one entry (or None) per representation, in order."""
        if not representations:
            return []
        query = (
            "query($representations: [_Any!]!) { _entities(representations: $representations) "
            f"{{ ... on {typename} {{ {selection} }} }} }}"
        )
        reps = [{"__typename": typename, **r} for r in representations]
        try:
            async with httpx.AsyncClient(transport=self._transport, timeout=self._timeout) as client:
                instrument_http_client(client)  # a client span, and traceparent to the other service
                response = await client.post(
                    self.url, json={"query": query, "variables": {"representations": reps}}
                )
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise ServiceUnavailableError(
                f"The {self.service} service could not be reached ({type(exc).__name__}); nothing was written.",
                service=self.service,
            ) from None
        entities = (body.get("data") or {}).get("_entities") if isinstance(body, dict) else None
        if not isinstance(entities, list) or len(entities) != len(reps):
            raise ServiceUnavailableError(
                f"The {self.service} service gave an unusable answer; nothing was written.",
                service=self.service,
            )
        return entities
