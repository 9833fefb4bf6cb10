"""The gateway's view of the registry: live replicas by service, each dropped when its heartbeat stops.

A NATS KV bucket's ``ttl`` (the stream's max age) removes a dead replica's entry from the server, but the
servers before 2.11 tell no watcher about it, so the gateway keeps its own clock: an entry not refreshed for
``ttl`` seconds is expired here (:meth:`LiveRegistry.expire`). An entry first seen in the initial listing is
dated by its ``heartbeat_at`` (never later than now), so a gateway that starts does not keep a dead
replica's last word for a full ``ttl``. A heartbeat that only refreshes an entry is not a change.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from .entries import ServiceEntry

__all__ = ["LiveRegistry"]


class LiveRegistry:
    """Live replicas; :meth:`put`, :meth:`remove` and :meth:`expire` say whether what matters changed."""

    def __init__(
        self,
        ttl: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.ttl = ttl
        self._clock = clock
        self._wall = wall_clock
        self._entries: dict[str, ServiceEntry] = {}
        self._seen: dict[str, float] = {}

    def put(self, entry: ServiceEntry, *, initial: bool = False) -> bool:
        """Record ``entry``; True when it is new or its URL or SDL changed (a heartbeat is not a change)."""
        now = self._clock()
        age = 0.0
        if initial and entry.heartbeat_at:
            age = min(self.ttl, max(0.0, self._wall() - entry.heartbeat_at))
        self._seen[entry.key] = now - age
        previous = self._entries.get(entry.key)
        self._entries[entry.key] = entry
        return previous is None or (previous.url, previous.sdl) != (entry.url, entry.sdl)

    def remove(self, key: str) -> bool:
        self._seen.pop(key, None)
        return self._entries.pop(key, None) is not None

    def expire(self) -> list[ServiceEntry]:
        """Drop and return the entries whose last heartbeat is older than ``ttl``."""
        deadline = self._clock() - self.ttl
        gone = [self._entries[k] for k, seen in self._seen.items() if seen < deadline]
        for entry in gone:
            self.remove(entry.key)
        return gone

    def services(self) -> dict[str, list[ServiceEntry]]:
        out: dict[str, list[ServiceEntry]] = {}
        for entry in self._entries.values():
            out.setdefault(entry.service, []).append(entry)
        return {name: out[name] for name in sorted(out)}

    def entries(self) -> list[ServiceEntry]:
        return list(self._entries.values())
