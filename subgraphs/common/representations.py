"""Checking ``_entities`` representations before a type's ``resolve_reference`` sees them.

Federation spec, ``_entities``: each representation is an object with ``__typename`` and the key (and
``@requires``) fields. Anything else, from a client talking to the subgraph directly, is that client's input
error for that one entry; the other entries of the list are still resolved.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from .errors import UserInputError

__all__ = ["ReferenceResolver", "checked_representation"]


class ReferenceResolver:
    """What one entity type's ``resolve_reference`` takes: required and known representation fields."""

    def __init__(self, type_name: str, resolve_reference: Callable[..., Any]) -> None:
        self.type_name = type_name
        parameters = [
            p
            for p in inspect.signature(resolve_reference).parameters.values()
            if p.name not in ("info", "cls") and p.kind is not inspect.Parameter.VAR_POSITIONAL
        ]
        self.takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters)
        self.known = {p.name for p in parameters if p.kind is not inspect.Parameter.VAR_KEYWORD}
        self.required = [
            p.name for p in parameters if p.default is inspect.Parameter.empty and p.name in self.known
        ]


def checked_representation(
    representation: object, index: int, resolvers: dict[str, ReferenceResolver]
) -> dict[str, Any]:
    """The representation to hand to ``resolve_reference``, or a ``BAD_USER_INPUT`` error saying what is wrong."""
    argument = f"representations[{index}]"
    if not isinstance(representation, dict):
        raise UserInputError(
            f"Representation {index} must be an object with '__typename' and the key fields.",
            argument=argument,
        )
    type_name = representation.get("__typename")
    if not isinstance(type_name, str) or type_name not in resolvers:
        known = ", ".join(sorted(resolvers))
        shown = repr(type_name)[:80]
        raise UserInputError(
            f"Representation {index} names {shown}, which is not an entity of this service (entities: {known}).",
            argument=argument,
        )
    resolver = resolvers[type_name]
    missing = [name for name in resolver.required if name not in representation]
    if missing:
        raise UserInputError(
            f"Representation {index} of {type_name} lacks {', '.join(repr(m) for m in missing)}.",
            argument=argument,
        )
    # Extra fields are allowed (a gateway may send more than the key) but only known ones are passed on.
    return {
        k: v
        for k, v in representation.items()
        if k == "__typename" or resolver.takes_any or k in resolver.known
    }
