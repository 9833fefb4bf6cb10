"""Live events for a service's subscriptions: one core NATS subscription per process, fanned out by entity key.

The outbox relay publishes every event to JetStream; a JetStream publish is also an ordinary NATS message, so
a plain (core) subscription on the same subjects sees each event as it is stored, with no consumer state on
the server. Every process (each replica of a service) holds its own, so a change made anywhere, by the
service or by its worker, reaches the subscribers of every replica.

A watcher is not handed the event: it is told that its entity *may* have changed and reads the entity again
from the service's own database. Reads are the source of truth, so a subscriber can never get a stale or
out-of-order state, a burst of events costs one read, and a message lost while NATS was away (core NATS keeps
nothing for an absent subscriber) is made good by waking every watcher when the connection comes back.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Hashable, Iterable, Sequence
from contextlib import asynccontextmanager

from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from .events import Envelope, EventError, decode
from .outbox import DEFAULT_NATS_URL, DEFAULT_SUBJECT_PREFIX, connect

__all__ = ["LiveEvents", "LiveEventsUnavailable", "Watch"]

log = logging.getLogger("subgraphs.live")


class LiveEventsUnavailable(Exception):
    """NATS could not be reached in time: no subscription can be served until it can."""


class Watch:
    """One subscriber's view: ``changed()`` returns when its entity may have changed since the last call."""

    __slots__ = ("_flag", "key")

    def __init__(self, key: Hashable) -> None:
        self.key = key
        self._flag = asyncio.Event()

    def poke(self) -> None:
        self._flag.set()

    async def changed(self) -> None:
        await self._flag.wait()
        self._flag.clear()


class LiveEvents:
    """Events of ``types`` under ``subject_prefix``, routed to watchers by ``key_of(envelope)``.

    Connects on the first watcher (a service nobody subscribes to never talks to NATS) and keeps the
    connection until ``close()``.
    """

    def __init__(
        self,
        types: Iterable[str],
        key_of: Callable[[Envelope], Hashable | None],
        *,
        servers: str | Sequence[str] = DEFAULT_NATS_URL,
        subject_prefix: str = DEFAULT_SUBJECT_PREFIX,
        name: str = "live-events",
        connect_timeout: float = 3.0,
    ) -> None:
        self.subjects = sorted(f"{subject_prefix}.{t}" for t in types)
        self.key_of = key_of
        self.servers = servers
        self.name = name
        self.connect_timeout = connect_timeout
        self._watchers: dict[Hashable, set[Watch]] = {}
        self._nc: NATS | None = None
        self._subs: list[Subscription] = []
        self._starting: asyncio.Lock | None = None

    @property
    def open(self) -> int:
        """Watchers now open: the subscriptions this process serves."""
        return sum(len(w) for w in self._watchers.values())

    async def start(self) -> None:
        """Connect and subscribe, or raise ``LiveEventsUnavailable`` after ``connect_timeout`` seconds (the
        connection retries for ever otherwise: once up, an outage is waited out, but a first subscriber is not
        left waiting)."""
        if self._starting is None:
            self._starting = asyncio.Lock()
        async with self._starting:
            if self._nc is not None:
                return
            try:
                nc = await asyncio.wait_for(
                    connect(self.servers, name=self.name, reconnected_cb=self._reconnected),
                    self.connect_timeout,
                )
            except (TimeoutError, OSError) as exc:
                log.warning("live events: NATS at %s not reachable: %s", self.servers, type(exc).__name__)
                raise LiveEventsUnavailable(str(self.servers)) from None
            self._subs = [await nc.subscribe(subject, cb=self._on_message) for subject in self.subjects]
            # The server knows of the subscriptions once this returns: events from now on are seen.
            await nc.flush()
            self._nc = nc

    async def close(self) -> None:
        nc, self._nc = self._nc, None
        self._subs = []
        if nc is not None:
            await nc.close()

    @asynccontextmanager
    async def watch(self, key: Hashable) -> AsyncIterator[Watch]:
        """Watch ``key`` for as long as the block runs; events after the block starts are seen."""
        await self.start()
        watch = Watch(key)
        self._watchers.setdefault(key, set()).add(watch)
        try:
            yield watch
        finally:
            watchers = self._watchers.get(key)
            if watchers is not None:
                watchers.discard(watch)
                if not watchers:
                    del self._watchers[key]

    async def _on_message(self, msg: Msg) -> None:
        try:
            env = decode(msg.data)
        except EventError as exc:  # a newer producer's version, or garbage: not for us to judge here
            log.debug("live events: %s on %s ignored: %s", exc.reason, msg.subject, exc)
            return
        key = self.key_of(env)
        for watch in self._watchers.get(key, ()):
            watch.poke()

    async def _reconnected(self) -> None:
        # Core NATS kept nothing while we were away: everyone reads again.
        log.info("live events: NATS reconnected; refreshing %d watchers", self.open)
        for watchers in self._watchers.values():
            for watch in watchers:
                watch.poke()
