"""Type references as SDL text: merging output types (most general) and input types (most restrictive).

Federation 2 merge rules: an output field may be nullable in one subgraph and non-null in another (the
supergraph takes the nullable one) or return an interface/union in one and an implementation in another (the
supergraph takes the abstract type); arguments and input fields take the non-null one. List shapes must match.
https://www.apollographql.com/docs/federation/federated-schemas/composition#merging-types-from-multiple-subgraphs
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import (
    BooleanValueNode,
    EnumValueNode,
    FloatValueNode,
    IntValueNode,
    ListTypeNode,
    NamedTypeNode,
    NonNullTypeNode,
    NullValueNode,
    StringValueNode,
    VariableNode,
    print_ast,
)
from graphql.language.print_string import print_string

__all__ = ["input_merge", "named", "output_merge", "same_shape", "type_text", "value_text"]

_Subtype = Callable[[str, str], bool]


def type_text(node: NamedTypeNode | ListTypeNode | NonNullTypeNode | Any) -> str:
    """``print_ast`` of a type reference (``[String!]!``), without the generic printer's visitor."""
    if isinstance(node, NonNullTypeNode):
        return type_text(node.type) + "!"
    if isinstance(node, ListTypeNode):
        return "[" + type_text(node.type) + "]"
    name: str = node.name.value
    return name


def value_text(node: Any) -> str:
    """``print_ast`` of a value, without the generic printer for scalars and variables (each call of it leaves
    a reference cycle, and the planner prints every argument it meets). Lists, objects and block strings,
    which ``print_ast`` may wrap over lines, are still printed by it."""
    cls = type(node)
    if cls is IntValueNode or cls is FloatValueNode or cls is EnumValueNode:
        text: str = node.value
        return text
    if cls is VariableNode:
        return "$" + node.name.value  # type: ignore[no-any-return]
    if cls is StringValueNode and not node.block:
        return print_string(node.value)
    if cls is BooleanValueNode:
        return "true" if node.value else "false"
    if cls is NullValueNode:
        return "null"
    return print_ast(node)


def named(type_ref: str) -> str:
    return type_ref.strip("[]! ")


def _strip(t: str) -> tuple[bool, str]:
    return (True, t[:-1]) if t.endswith("!") else (False, t)


def _unlist(t: str) -> str | None:
    return t[1:-1] if t.startswith("[") and t.endswith("]") else None


def output_merge(a: str, b: str, is_subtype: _Subtype) -> str | None:
    """The supergraph type of an output field typed ``a`` in one subgraph and ``b`` in another, or None."""
    a_nn, a_in = _strip(a)
    b_nn, b_in = _strip(b)
    inner: str | None
    a_list, b_list = _unlist(a_in), _unlist(b_in)
    if a_list is not None and b_list is not None:
        sub = output_merge(a_list, b_list, is_subtype)
        inner = f"[{sub}]" if sub is not None else None
    elif a_list is None and b_list is None:
        if a_in == b_in:
            inner = a_in
        elif is_subtype(a_in, b_in):
            inner = b_in
        elif is_subtype(b_in, a_in):
            inner = a_in
        else:
            inner = None
    else:
        inner = None
    if inner is None:
        return None
    return inner + "!" if a_nn and b_nn else inner


def input_merge(a: str, b: str) -> str | None:
    """The supergraph type of an argument or input field typed ``a`` and ``b``: non-null wins, or None."""
    a_nn, a_in = _strip(a)
    b_nn, b_in = _strip(b)
    a_list, b_list = _unlist(a_in), _unlist(b_in)
    inner: str | None
    if a_list is not None and b_list is not None:
        sub = input_merge(a_list, b_list)
        inner = f"[{sub}]" if sub is not None else None
    elif a_list is None and b_list is None:
        inner = a_in if a_in == b_in else None
    else:
        inner = None
    if inner is None:
        return None
    return inner + "!" if a_nn or b_nn else inner


def same_shape(a: str, b: str) -> bool:
    """Same named type and list nesting, nullability aside (for ``@external`` declarations)."""
    return a.replace("!", "") == b.replace("!", "")
