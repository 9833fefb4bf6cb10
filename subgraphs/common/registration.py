"""Registration with the registry: a service says where it answers and what SDL it serves, and keeps saying it.

On start-up each replica writes one entry to the NATS JetStream key-value bucket ``REGISTRY_BUCKET``, under
``services.<name>.<replica id>``:

```json
{"service": "users", "url": "http://10.0.0.7:4001/graphql", "sdl": "...", "version": "0.1.0",
 "replica": "web-1-4242-9f3a", "started_at": 1764585600.0, "heartbeat_at": 1764585615.0}
```

and writes it again every ``REGISTRY_HEARTBEAT`` seconds (default a third of ``REGISTRY_TTL``, 15 s). The
bucket's TTL (its stream's max age, set by whoever creates it) lets a replica that died without a word
expire; a clean shutdown deletes the entry at once. The gateway (``gateway.registry``) reads the same shape;
this module does not import the gateway, so the contract is kept by both sides and by
``tests/registry/test_registration.py``.

Environment: ``REGISTRY_BUCKET`` turns registration on; ``NATS_URL``; ``SERVICE_URL`` (the URL the gateway
calls; ``python -m subgraphs.<name>`` sets it from its host and port, a container sets its own);
``REPLICA_ID`` (default host name, process id and a random suffix); ``SERVICE_VERSION`` (default the
package's version); ``REGISTRY_TTL``; ``REGISTRY_HEARTBEAT``. NATS being away does not stop the service: it
serves, and registers as soon as NATS answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import secrets
import socket
import time
from collections.abc import Mapping
from importlib import metadata
from typing import Any

import orjson

__all__ = ["Registration", "registration_from_env"]

log = logging.getLogger("subgraphs.registration")

KEY_PREFIX = "services"
_NOT_TOKEN = re.compile(r"[^A-Za-z0-9_=-]")


def _replica_id() -> str:
    host = _NOT_TOKEN.sub("-", socket.gethostname())[:40] or "host"
    return f"{host}-{os.getpid()}-{secrets.token_hex(2)}"


def _version() -> str:
    try:
        return metadata.version("federation-platform")
    except metadata.PackageNotFoundError:
        return "0"


class Registration:
    """One replica's entry in the registry, kept alive by a heartbeat until :meth:`stop`."""

    def __init__(
        self,
        service: str,
        url: str,
        sdl: str,
        *,
        bucket: str,
        nats_url: str = "nats://127.0.0.1:4222",
        replica: str | None = None,
        version: str | None = None,
        ttl: float = 15.0,
        heartbeat: float | None = None,
    ) -> None:
        if _NOT_TOKEN.search(service):
            raise ValueError(f"service name {service!r} is not a registry key token")
        self.service = service
        self.url = url
        self.sdl = sdl
        self.bucket = bucket
        self.nats_url = nats_url
        self.replica = _NOT_TOKEN.sub("-", replica) if replica else _replica_id()
        self.version = version or _version()
        self.ttl = ttl
        self.heartbeat = heartbeat if heartbeat is not None else ttl / 3
        self.started_at = time.time()
        self.registered = asyncio.Event()
        self._nc: Any = None
        self._kv: Any = None
        self._task: asyncio.Task[None] | None = None

    @property
    def key(self) -> str:
        return f"{KEY_PREFIX}.{self.service}.{self.replica}"

    def entry(self) -> bytes:
        return orjson.dumps(
            {
                "service": self.service,
                "url": self.url,
                "sdl": self.sdl,
                "version": self.version,
                "replica": self.replica,
                "started_at": self.started_at,
                "heartbeat_at": time.time(),
            }
        )

    async def start(self, *, wait: float = 3.0) -> None:
        """Register (waiting up to ``wait`` seconds for the first write) and keep the entry alive."""
        self._task = asyncio.create_task(self._keep_alive(), name=f"registration-{self.service}")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.registered.wait(), wait)
        if not self.registered.is_set():
            log.warning(
                "not registered yet in '%s' at %s; retrying in the background", self.bucket, self.nats_url
            )

    async def stop(self) -> None:
        """Deregister: the gateway stops routing here at once, without waiting for the TTL."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        if self._kv is not None:
            try:
                await asyncio.wait_for(self._kv.delete(self.key), 2.0)
                log.info("deregistered %s from '%s'", self.key, self.bucket)
            except Exception as exc:  # NATS away: the entry expires by its TTL instead
                log.warning("could not deregister %s: %s", self.key, exc)
        if self._nc is not None:
            with contextlib.suppress(Exception):
                await self._nc.close()
        self._nc = self._kv = None

    async def _open(self) -> None:
        import nats
        from nats.js.api import KeyValueConfig
        from nats.js.errors import BucketNotFoundError, NotFoundError

        if self._nc is None:
            self._nc = await nats.connect(
                servers=[self.nats_url],
                name=f"{self.service}-{self.replica}",
                allow_reconnect=True,
                max_reconnect_attempts=-1,
                reconnect_time_wait=0.5,
                connect_timeout=2,
            )
        js = self._nc.jetstream()
        try:
            self._kv = await js.key_value(self.bucket)
        except (BucketNotFoundError, NotFoundError):
            self._kv = await js.create_key_value(KeyValueConfig(bucket=self.bucket, ttl=self.ttl, history=1))

    async def _keep_alive(self) -> None:
        delay = 0.5
        while True:
            try:
                if self._kv is None:
                    await self._open()
                await self._kv.put(self.key, self.entry())
                if not self.registered.is_set():
                    log.info("registered %s at %s in '%s'", self.key, self.url, self.bucket)
                    self.registered.set()
                delay = 0.5
                await asyncio.sleep(self.heartbeat)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # NATS away or the bucket gone: try again, backing off
                log.warning("registry heartbeat failed: %s: %s", type(exc).__name__, exc)
                if self._nc is not None and getattr(self._nc, "is_closed", False):
                    self._nc = None
                self._kv = None
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.heartbeat)


def registration_from_env(
    service: str, sdl: str, environ: Mapping[str, str] | None = None
) -> Registration | None:
    """The registration the environment asks for (``REGISTRY_BUCKET`` and ``SERVICE_URL``), else None."""
    env = os.environ if environ is None else environ
    bucket = env.get("REGISTRY_BUCKET")
    if not bucket:
        return None
    url = env.get("SERVICE_URL")
    if not url:
        log.warning("REGISTRY_BUCKET is set but SERVICE_URL is not: %s does not register", service)
        return None
    ttl = float(env.get("REGISTRY_TTL") or 15.0)
    heartbeat = env.get("REGISTRY_HEARTBEAT")
    return Registration(
        service,
        url,
        sdl,
        bucket=bucket,
        nats_url=env.get("NATS_URL") or "nats://127.0.0.1:4222",
        replica=env.get("REPLICA_ID") or None,
        version=env.get("SERVICE_VERSION") or None,
        ttl=ttl,
        heartbeat=float(heartbeat) if heartbeat else None,
    )
