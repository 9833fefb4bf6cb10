"""Printing the small AST pieces the planner prints many times: argument values, directives and types.

The planner prints every argument value, directive and variable type it meets, to compare selections and to
write subgraph operations. graphql-core's ``print_ast`` does it through a generic reducer and a linked buffer
whose tail refers to itself: each call leaves a reference cycle for the collector (a pause of the event loop)
and costs tens of microseconds for a ``10``. These print the same text directly. Lists, objects and block
strings, which ``print_ast`` may wrap over lines, are still handed to it, so the output is its own in every
case (``tests/planning/test_printing.py`` compares them).
"""

from __future__ import annotations

from graphql import (
    BooleanValueNode,
    DirectiveNode,
    EnumValueNode,
    FloatValueNode,
    IntValueNode,
    ListTypeNode,
    NamedTypeNode,
    NonNullTypeNode,
    NullValueNode,
    StringValueNode,
    TypeNode,
    ValueNode,
    VariableNode,
    print_ast,
)
from graphql.language.print_string import print_string

__all__ = ["print_directive", "print_directives", "print_type", "print_value"]


def print_value(node: ValueNode) -> str:
    """``print_ast(node)`` for a value."""
    if isinstance(node, VariableNode):
        return "$" + node.name.value
    if isinstance(node, IntValueNode | FloatValueNode | EnumValueNode):
        return node.value
    if isinstance(node, StringValueNode) and not node.block:
        return print_string(node.value)
    if isinstance(node, BooleanValueNode):
        return "true" if node.value else "false"
    if isinstance(node, NullValueNode):
        return "null"
    return print_ast(node)


def print_directive(node: DirectiveNode) -> str:
    """``print_ast(node)`` for a directive."""
    if not node.arguments:
        return "@" + node.name.value
    arguments = ", ".join(f"{a.name.value}: {print_value(a.value)}" for a in node.arguments)
    return f"@{node.name.value}({arguments})"


def print_directives(nodes: tuple[DirectiveNode, ...] | list[DirectiveNode]) -> str:
    """The directives printed and joined by a space, as the planner compares them."""
    return " ".join(print_directive(d) for d in nodes)


def print_type(node: TypeNode) -> str:
    """``print_ast(node)`` for a type reference."""
    if isinstance(node, NonNullTypeNode):
        return print_type(node.type) + "!"
    if isinstance(node, ListTypeNode):
        return "[" + print_type(node.type) + "]"
    assert isinstance(node, NamedTypeNode)
    return node.name.value
