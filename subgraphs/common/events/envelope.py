"""The envelope every event travels in, and its JSON encoding with strict, typed decoding.

An event type is a frozen dataclass with ``TYPE`` and ``VERSION``; ``register`` makes it decodable. A new
version of a type is a new class (``OrderPlaced`` v2 beside v1), so consumers decode exactly what was sent.
Decoding refuses what it cannot read with a reason: an unknown type, a version of a known type this code does
not have (a newer producer), or a payload whose fields do not match the schema.
"""

from __future__ import annotations

import dataclasses
import json
import types
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, Union, get_args, get_origin, get_type_hints

__all__ = [
    "Envelope",
    "Event",
    "EventError",
    "MalformedEvent",
    "UnknownEventType",
    "UnknownEventVersion",
    "decode",
    "encode",
    "envelope",
    "event_types",
    "register",
]


class Event:
    """Base of every event type: a frozen dataclass naming its ``TYPE`` and ``VERSION``."""

    TYPE: ClassVar[str]
    VERSION: ClassVar[int]


_REGISTRY: dict[tuple[str, int], type[Event]] = {}


def register(cls: type[Event]) -> type[Event]:
    """Class decorator: make ``cls`` decodable under its (TYPE, VERSION); each pair names one class."""
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls.__name__} must be a dataclass")
    key = (cls.TYPE, cls.VERSION)
    if key in _REGISTRY and _REGISTRY[key] is not cls:
        raise ValueError(f"{cls.TYPE} v{cls.VERSION} is registered twice")
    _REGISTRY[key] = cls
    return cls


def event_types() -> dict[tuple[str, int], type[Event]]:
    return dict(_REGISTRY)


@dataclass(frozen=True)
class Envelope:
    """One event with what every consumer needs: a unique id (the dedup key), when, and which saga."""

    id: str
    type: str
    version: int
    occurred_at: datetime
    correlation_id: str
    payload: Event


def envelope(event: Event, *, correlation_id: str, occurred_at: datetime | None = None) -> Envelope:
    """A new envelope with a fresh id for ``event``."""
    return Envelope(
        id=str(uuid.uuid4()),
        type=event.TYPE,
        version=event.VERSION,
        occurred_at=occurred_at or datetime.now(UTC),
        correlation_id=correlation_id,
        payload=event,
    )


class EventError(ValueError):
    """An encoded event that cannot be decoded; ``reason`` is for logs and dead letters."""

    reason = "malformed"


class MalformedEvent(EventError):
    reason = "malformed"


class UnknownEventType(EventError):
    reason = "unknown-type"


class UnknownEventVersion(EventError):
    reason = "unknown-version"


def encode(env: Envelope) -> bytes:
    return json.dumps(
        {
            "id": env.id,
            "type": env.type,
            "version": env.version,
            "occurred_at": env.occurred_at.astimezone(UTC).isoformat(),
            "correlation_id": env.correlation_id,
            "payload": dataclasses.asdict(env.payload),  # type: ignore[call-overload]
        },
        separators=(",", ":"),
        sort_keys=True,
    ).encode()


def decode(data: bytes) -> Envelope:
    try:
        raw = json.loads(data)
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedEvent(f"not JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise MalformedEvent("an event is a JSON object")
    try:
        event_id, type_name, version = str(raw["id"]), raw["type"], raw["version"]
        occurred_at = datetime.fromisoformat(raw["occurred_at"])
        correlation_id = str(raw["correlation_id"])
        payload = raw["payload"]
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedEvent(f"envelope field missing or wrong: {exc}") from None
    if occurred_at.tzinfo is None:
        raise MalformedEvent("occurred_at must carry a time zone")
    if not isinstance(version, int) or isinstance(version, bool):
        raise MalformedEvent("version must be an integer")
    cls = _REGISTRY.get((type_name, version))
    if cls is None:
        known = sorted(v for t, v in _REGISTRY if t == type_name)
        if not known:
            raise UnknownEventType(f"unknown event type {type_name!r}")
        raise UnknownEventVersion(f"{type_name} v{version} is unknown here (known: {known})")
    return Envelope(
        event_id, type_name, version, occurred_at, correlation_id, _build(cls, payload, "payload")
    )


def _build(cls: type, value: Any, path: str) -> Any:
    if not isinstance(value, dict):
        raise MalformedEvent(f"{path}: expected an object")
    hints = get_type_hints(cls)
    fields = {f.name for f in dataclasses.fields(cls)}
    if unknown := value.keys() - fields:
        raise MalformedEvent(f"{path}: unknown fields {sorted(unknown)}")
    if missing := fields - value.keys():
        raise MalformedEvent(f"{path}: missing fields {sorted(missing)}")
    return cls(**{name: _value(hints[name], value[name], f"{path}.{name}") for name in fields})


def _value(hint: Any, value: Any, path: str) -> Any:
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        if value is None and type(None) in get_args(hint):
            return None
        (inner,) = [a for a in get_args(hint) if a is not type(None)]
        return _value(inner, value, path)
    if origin is tuple:
        if not isinstance(value, list):
            raise MalformedEvent(f"{path}: expected a list")
        (item, _ellipsis) = get_args(hint)
        return tuple(_value(item, v, f"{path}[{i}]") for i, v in enumerate(value))
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, path)  # type: ignore[arg-type]
    if hint is int and (not isinstance(value, int) or isinstance(value, bool)):
        raise MalformedEvent(f"{path}: expected an integer")
    if hint is str and not isinstance(value, str):
        raise MalformedEvent(f"{path}: expected a string")
    if hint is bool and not isinstance(value, bool):
        raise MalformedEvent(f"{path}: expected a boolean")
    return value
