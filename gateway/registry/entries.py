"""What a service writes in the registry: one JSON entry per replica, under ``services.<name>.<replica>``.

The contract between ``subgraphs.common.registration`` (which writes entries) and the gateway (which watches
them); both sides keep to this shape, and ``tests/registry`` reads with one what the other wrote:

```json
{"service": "users", "url": "http://10.0.0.7:4001/graphql", "sdl": "...", "version": "0.1.0",
 "replica": "web-1-4242-9f3a", "started_at": 1764585600.0, "heartbeat_at": 1764585615.0}
```

NATS KV keys allow ``[-/_=.a-zA-Z0-9]``; a service name and a replica id are one token each (no ``.``).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

import orjson

__all__ = ["KEY_PREFIX", "EntryError", "ServiceEntry", "decode_entry", "entry_key", "parse_key"]

KEY_PREFIX = "services"
_TOKEN = re.compile(r"^[A-Za-z0-9_=-]+$")


class EntryError(ValueError):
    """A registry entry that is not the shape above (logged and ignored by the gateway)."""


@dataclass(frozen=True)
class ServiceEntry:
    """One live replica of one service, as it registered itself."""

    service: str
    replica: str
    url: str
    sdl: str
    version: str = ""
    started_at: float = 0.0
    heartbeat_at: float = 0.0

    @property
    def key(self) -> str:
        return entry_key(self.service, self.replica)

    @property
    def sdl_digest(self) -> str:
        """A short digest naming the SDL (replicas agree when their digests are equal)."""
        return hashlib.sha256(self.sdl.encode()).hexdigest()[:12]

    def encode(self) -> bytes:
        return orjson.dumps(
            {
                "service": self.service,
                "url": self.url,
                "sdl": self.sdl,
                "version": self.version,
                "replica": self.replica,
                "started_at": self.started_at,
                "heartbeat_at": self.heartbeat_at,
            }
        )


def entry_key(service: str, replica: str) -> str:
    """The KV key of one replica; both parts must be single key tokens."""
    for part in (service, replica):
        if not _TOKEN.match(part):
            raise EntryError(f"{part!r} is not a registry key token (letters, digits, '_', '-', '=')")
    return f"{KEY_PREFIX}.{service}.{replica}"


def parse_key(key: str) -> tuple[str, str] | None:
    """``(service, replica)`` of a key under ``services.``, or None for any other key."""
    parts = key.split(".")
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        return None
    return parts[1], parts[2]


def decode_entry(key: str, value: bytes) -> ServiceEntry:
    """The entry stored under ``key``, checked against the shape above."""
    names = parse_key(key)
    if names is None:
        raise EntryError(f"{key!r} is not a service key")
    try:
        data: Any = orjson.loads(value)
    except orjson.JSONDecodeError as error:
        raise EntryError(f"{key}: not JSON ({error})") from None
    if not isinstance(data, dict):
        raise EntryError(f"{key}: expected a JSON object")
    for field in ("url", "sdl"):
        if not isinstance(data.get(field), str) or not data[field]:
            raise EntryError(f"{key}: '{field}' must be a non-empty string")
    if data.get("service", names[0]) != names[0] or data.get("replica", names[1]) != names[1]:
        raise EntryError(f"{key}: 'service'/'replica' do not match the key")
    if not re.match(r"^https?://", data["url"]):
        raise EntryError(f"{key}: 'url' must be an http(s) URL")

    def number(name: str) -> float:
        value = data.get(name, 0.0)
        return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0

    return ServiceEntry(
        service=names[0],
        replica=names[1],
        url=data["url"],
        sdl=data["sdl"],
        version=str(data.get("version") or ""),
        started_at=number("started_at"),
        heartbeat_at=number("heartbeat_at"),
    )
