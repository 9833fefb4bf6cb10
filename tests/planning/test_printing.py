"""The planner's printers print exactly what graphql-core's ``print_ast`` prints (gateway.planning.printing, and
the value and type printers of gateway.composition.types it uses)."""

from __future__ import annotations

import gc

from graphql import DirectiveNode, FieldNode, OperationDefinitionNode, parse, print_ast
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.composition.types import type_text, value_text
from gateway.planning.printing import print_directive

_names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True).filter(
    lambda n: n not in ("true", "false", "null", "on", "fragment", "query")
)
_scalars = st.one_of(
    st.integers(-(10**30), 10**30).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr).filter(lambda f: "e" not in f or "." in f),
    st.text(max_size=20).map(
        lambda s: (
            '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r") + '"'
        )
    ),
    st.sampled_from(["true", "false", "null", "ENUM_VALUE", "$v", '"""a\n  block"""']),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=12).map(lambda items: "[" + ", ".join(items) + "]"),
        st.lists(st.tuples(_names, inner), max_size=8).map(
            lambda fields: "{" + ", ".join(f"{n}: {v}" for n, v in dict(fields).items()) + "}"
        ),
    ),
    max_leaves=30,
)
_types = st.recursive(
    _names,
    lambda inner: st.one_of(
        inner.map(lambda t: f"[{t}]"), inner.filter(lambda t: not t.endswith("!")).map(lambda t: f"{t}!")
    ),
    max_leaves=4,
)


def _field(text: str) -> FieldNode:
    document = parse("query($v: Int) { " + text + " }", no_location=True)
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    return operation.selection_set.selections[0]  # type: ignore[return-value]


@settings(max_examples=300, deadline=None)
@given(_values)
def test_values_print_as_print_ast_prints_them(value: str) -> None:
    node = _field(f"f(a: {value})").arguments[0].value
    assert value_text(node) == print_ast(node)


@settings(max_examples=200, deadline=None)
@given(_names, st.lists(st.tuples(_names, _values), max_size=4))
def test_directives_print_as_print_ast_prints_them(name: str, arguments: list[tuple[str, str]]) -> None:
    written = ", ".join(f"{n}: {v}" for n, v in dict(arguments).items())
    directive: DirectiveNode = _field(f"f @{name}" + (f"({written})" if written else "")).directives[0]
    assert print_directive(directive) == print_ast(directive)


@settings(max_examples=100, deadline=None)
@given(_types)
def test_types_print_as_print_ast_prints_them(written: str) -> None:
    document = parse(f"query($v: {written}) {{ f }}", no_location=True)
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    node = operation.variable_definitions[0].type
    assert type_text(node) == print_ast(node)


def test_printing_a_scalar_leaves_no_cycle() -> None:
    directive = _field('f @include(if: $v) @tag(name: "x", n: 3)').directives
    gc.collect()
    gc.disable()
    try:
        for _ in range(50):
            [print_directive(d) for d in directive]
        assert gc.collect() == 0
    finally:
        gc.enable()
