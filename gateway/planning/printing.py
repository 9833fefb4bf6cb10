"""Printing the directives and arguments the planner prints many times, to compare selections and to write
subgraph operations.

graphql-core's ``print_ast`` does it through a generic reducer and a linked buffer whose tail refers to itself:
each call leaves a reference cycle for the collector (a pause of the event loop) and costs tens of
microseconds for a ``10``. Values and type references are printed by the composer's printers
(``gateway.composition.types``), which give ``print_ast``'s text (``tests/planning/test_printing.py``
compares them); these put them together.
"""

from __future__ import annotations

from collections.abc import Iterable

from graphql import ArgumentNode, DirectiveNode

from gateway.composition.types import value_text

__all__ = ["print_arguments", "print_directive", "print_directives"]


def print_arguments(arguments: Iterable[ArgumentNode]) -> str:
    """Arguments as subgraph operations and field set entries write them: ``first:10,after:$cursor``."""
    return ",".join(f"{a.name.value}:{value_text(a.value)}" for a in arguments)


def print_directive(node: DirectiveNode) -> str:
    """``print_ast(node)`` for a directive."""
    if not node.arguments:
        return "@" + node.name.value
    arguments = ", ".join(f"{a.name.value}: {value_text(a.value)}" for a in node.arguments)
    return f"@{node.name.value}({arguments})"


def print_directives(nodes: tuple[DirectiveNode, ...] | list[DirectiveNode]) -> str:
    """The directives printed and joined by a space, as the planner compares them."""
    return " ".join(print_directive(d) for d in nodes)
