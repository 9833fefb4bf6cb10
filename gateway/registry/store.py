"""The registry's store: a NATS JetStream key-value bucket (``services.<name>.<replica>`` -> entry JSON).

JetStream KV because the services already run on NATS JetStream for their events: no other registry service
to run, entries replicated as the NATS cluster is, and a watch that delivers every current entry and then
each change (``KeyValue.watch``). The bucket's ``ttl`` is its stream's max age: an entry not refreshed by a
heartbeat within it is removed by the server (and expired by the gateway's own clock, ``gateway.registry.live``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import nats
from nats.aio.client import Client as NATS
from nats.js.api import KeyValueConfig
from nats.js.errors import BucketNotFoundError, NotFoundError
from nats.js.kv import KeyValue

from .entries import KEY_PREFIX, EntryError, ServiceEntry, decode_entry

__all__ = ["DEFAULT_BUCKET", "DEFAULT_NATS_URL", "RegistrySettings", "connect", "list_entries", "open_bucket"]

DEFAULT_BUCKET = "fedgw_registry"
DEFAULT_NATS_URL = "nats://127.0.0.1:4222"

logger = logging.getLogger("gateway.registry")


@dataclass(frozen=True)
class RegistrySettings:
    """Where the registry is and how the gateway follows it. Durations are in seconds.

    ``ttl``: an entry without a heartbeat for this long is gone (the bucket's max age when the gateway creates
    it). ``debounce``: changes are composed once this long has passed without another (at most
    ``max_delay`` after the first). ``breaking_policy``: ``refuse_breaking`` (default), ``refuse_dangerous``
    or ``allow`` (``gateway.commands.check.refused_changes``). ``health_*``: the active replica checks
    (``gateway.execution.replicas``).
    """

    bucket: str = DEFAULT_BUCKET
    nats_url: str = DEFAULT_NATS_URL
    ttl: float = 15.0
    debounce: float = 0.5
    max_delay: float = 5.0
    breaking_policy: str = "refuse_breaking"
    health_interval: float = 2.0
    health_timeout: float = 1.0
    unhealthy_after: int = 2
    healthy_after: int = 1

    def __post_init__(self) -> None:
        from gateway.commands.check import BREAKING_POLICIES

        if self.breaking_policy not in BREAKING_POLICIES:
            raise ValueError(f"breaking_policy must be one of {', '.join(BREAKING_POLICIES)}")
        if self.ttl <= 0 or self.debounce < 0 or self.max_delay < self.debounce:
            raise ValueError("need ttl > 0 and 0 <= debounce <= max_delay")

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(cls.__dataclass_fields__)

    def with_env(self, environ: Mapping[str, str] | None = None) -> RegistrySettings:
        """``GATEWAY_REGISTRY_<NAME>`` over these settings (``NATS_URL`` for ``nats_url`` too)."""
        env = os.environ if environ is None else environ
        changes: dict[str, Any] = {}
        if env.get("NATS_URL"):
            changes["nats_url"] = env["NATS_URL"]
        for name, f in self.__dataclass_fields__.items():
            value = env.get(f"GATEWAY_REGISTRY_{name.upper()}")
            if value:
                kind = {"float": float, "int": int}.get(str(f.type), str)
                changes[name] = kind(value)
        return replace(self, **changes) if changes else self


async def _log_nats_error(error: Exception) -> None:
    # One line, no traceback: while NATS is away this repeats on every attempt.
    logger.warning("nats: %s: %s", type(error).__name__, error)


async def connect(url: str, *, name: str = "fedgw") -> NATS:
    """A connection that reconnects for ever (the first one too): NATS being away is an outage to wait out."""
    return await nats.connect(
        servers=[url],
        name=name,
        error_cb=_log_nats_error,
        allow_reconnect=True,
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.5,
        connect_timeout=2,
    )


async def open_bucket(nc: NATS, bucket: str, ttl: float, *, create: bool = True) -> KeyValue:
    """The bucket, created with ``ttl`` (max age) and one value per key when missing and ``create``."""
    js = nc.jetstream()
    try:
        return await js.key_value(bucket)
    except (BucketNotFoundError, NotFoundError):
        if not create:
            raise
    return await js.create_key_value(KeyValueConfig(bucket=bucket, ttl=ttl, history=1))


async def list_entries(kv: KeyValue) -> tuple[list[ServiceEntry], list[str]]:
    """Every service entry in the bucket now, and the keys whose value is not a valid entry."""
    entries: list[ServiceEntry] = []
    problems: list[str] = []
    watcher = await kv.watch(f"{KEY_PREFIX}.>", ignore_deletes=True)
    try:
        async for update in watcher:
            if update is None:
                break
            if update.value is None:
                continue
            try:
                entries.append(decode_entry(update.key, update.value))
            except EntryError as error:
                problems.append(str(error))
            if not update.delta:
                break
    finally:
        await watcher.stop()  # type: ignore[no-untyped-call]
    return entries, problems
