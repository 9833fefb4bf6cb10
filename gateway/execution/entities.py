"""Entity batching: find objects at a ``Flatten`` path, build ``_entities`` representations, merge answers back.

See the Apollo Federation subgraph spec, "Query._entities", and the conventions in ``gateway.planning.plan``.
Everything here is plain dict/list walking: it runs for every object of every entity fetch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import orjson

from ..planning.plan import FieldSelection, InlineFragmentSelection, RequiresSelection

__all__ = [
    "EntityBatch",
    "PathSegment",
    "build_representation",
    "collect_objects",
    "deep_merge",
    "find_objects",
    "parse_flatten_path",
]

ResponsePath = tuple[str | int, ...]
# (response key or None for "@", allowed __typenames or None)
PathSegment = tuple[str | None, frozenset[str] | None]

_MISSING: Any = object()


def parse_flatten_path(path: Sequence[str]) -> tuple[PathSegment, ...]:
    """Compile a ``Flatten`` path: ``"@"`` (list elements) and ``"key|[A,B]"`` (type-conditioned key)."""
    out: list[PathSegment] = []
    for seg in path:
        key, bar, rest = seg.partition("|")
        types: frozenset[str] | None = None
        if bar:
            names = rest.strip().removeprefix("[").removesuffix("]")
            types = frozenset(n.strip() for n in names.split(",") if n.strip())
        out.append((None if key == "@" else key, types))
    return tuple(out)


def _expand(
    value: Any,
    path: ResponsePath,
    types: frozenset[str] | None,
    out: list[tuple[dict[str, Any], ResponsePath]],
) -> None:
    if type(value) is dict:
        if types is None or value.get("__typename") in types:
            out.append((value, path))
    elif type(value) is list:
        for i, item in enumerate(value):
            if item is not None:
                _expand(item, (*path, i), types, out)


def collect_objects(
    data: dict[str, Any], segments: Sequence[PathSegment]
) -> list[tuple[dict[str, Any], ResponsePath]]:
    """Every object found at ``segments`` below ``data``, with its response path.

    Lists are expanded where they are met (so ``"@"`` only carries its optional type filter), nulls skipped.
    """
    current: list[tuple[dict[str, Any], ResponsePath]] = [(data, ())]
    for key, types in segments:
        if key is None:
            if types is not None:
                current = [(o, p) for o, p in current if o.get("__typename") in types]
            continue
        nxt: list[tuple[dict[str, Any], ResponsePath]] = []
        for obj, p in current:
            value = obj.get(key)
            if value is not None:
                _expand(value, (*p, key), types, nxt)
        current = nxt
    return current


def find_objects(data: dict[str, Any], segments: Sequence[PathSegment]) -> list[dict[str, Any]]:
    """``collect_objects`` without the paths: the hot path builds no path tuples until an error needs one."""
    current: list[dict[str, Any]] = [data]
    for key, types in segments:
        if key is None:
            if types is not None:
                current = [o for o in current if o.get("__typename") in types]
            continue
        nxt: list[dict[str, Any]] = []
        for obj in current:
            value = obj.get(key)
            if value is not None:
                _expand_objects(value, types, nxt)
        current = nxt
    return current


def _expand_objects(value: Any, types: frozenset[str] | None, out: list[dict[str, Any]]) -> None:
    if type(value) is dict:
        if types is None or value.get("__typename") in types:
            out.append(value)
    elif type(value) is list:
        for item in value:
            if item is not None:
                _expand_objects(item, types, out)


TypeMatcher = Callable[[str, Any], bool]


def build_representation(
    selections: Sequence[RequiresSelection], obj: dict[str, Any], matches: TypeMatcher
) -> dict[str, Any] | None:
    """The representation of ``obj`` for ``selections``, or None when a field is missing.

    Fields are read by name, or by ``response_key`` where the plan aliased them; the representation uses names.

    ``matches(type_condition, typename)`` decides nested inline fragments (abstract key or required fields).
    """
    rep: dict[str, Any] = {}
    for sel in selections:
        if type(sel) is FieldSelection:
            value = obj.get(sel.response_key or sel.name, _MISSING)
            if value is _MISSING:
                return None
            if sel.selections and value is not None:
                value = _sub_representation(sel.selections, value, matches)
                if value is _MISSING:
                    return None
            rep[sel.name] = value
        else:
            assert type(sel) is InlineFragmentSelection
            if matches(sel.type_condition, obj.get("__typename")):
                sub = build_representation(sel.selections, obj, matches)
                if sub is None:
                    return None
                rep.update(sub)
    return rep


def _sub_representation(selections: Sequence[RequiresSelection], value: Any, matches: TypeMatcher) -> Any:
    if type(value) is dict:
        sub = build_representation(selections, value, matches)
        return _MISSING if sub is None else sub
    if type(value) is list:
        items: list[Any] = []
        for item in value:
            if item is None:
                items.append(None)
                continue
            built = _sub_representation(selections, item, matches)
            if built is _MISSING:
                return _MISSING
            items.append(built)
        return items
    return value


def deep_merge(dst: dict[str, Any], src: dict[str, Any]) -> None:
    """Merge ``src`` into ``dst`` in place: objects recursively, lists of equal length element-wise.

    A null in ``src`` never replaces data already in ``dst`` (another subgraph's answer for the same object).
    """
    for key, value in src.items():
        cur = dst.get(key)
        if cur is None:
            dst[key] = value
        elif value is None:
            continue
        elif type(cur) is dict and type(value) is dict:
            deep_merge(cur, value)
        elif type(cur) is list and type(value) is list and len(cur) == len(value):
            _merge_lists(cur, value)
        else:
            dst[key] = value


def _merge_lists(dst: list[Any], src: list[Any]) -> None:
    for i, value in enumerate(src):
        cur = dst[i]
        if cur is None:
            dst[i] = value
        elif value is None:
            continue
        elif type(cur) is dict and type(value) is dict:
            deep_merge(cur, value)
        elif type(cur) is list and type(value) is list and len(cur) == len(value):
            _merge_lists(cur, value)
        else:
            dst[i] = value


class EntityBatch:
    """De-duplicated representations for one entity fetch, each with the objects (and paths) it came from."""

    __slots__ = ("_index", "origins", "representations")

    def __init__(self) -> None:
        self.representations: list[dict[str, Any]] = []
        self.origins: list[list[tuple[dict[str, Any], ResponsePath]]] = []
        self._index: dict[Any, int] = {}

    def add(self, representation: dict[str, Any], obj: dict[str, Any], path: ResponsePath) -> None:
        key = orjson.dumps(representation)  # JSON identity: true != 1, unlike Python equality
        i = self._index.get(key)
        if i is None:
            self._index[key] = len(self.representations)
            self.representations.append(representation)
            self.origins.append([(obj, path)])
        else:
            self.origins[i].append((obj, path))
