"""Normalise an operation: inline named fragments, evaluate literal @skip/@include, merge fields.

The planner's first stage (GraphQL spec section 6.3, "Executing Selection Sets", for the meaning of fragments,
field merging and @skip/@include). The result is a tree of ``NField``/``NFragment`` with every field's type
resolved against the API schema, so later stages never look at fragment definitions or schema objects again.

A named fragment is expanded once per type it is spread in (GraphQL spec 5.5.2.2, "Fragment spreads must not
form cycles", makes that well defined); every further spread copies that expansion. So a document whose
fragments each spread the next twice normalises in time linear in its size, not exponential. Every selection
visited or copied spends one unit of the planning budget (``gateway.planning.budget``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from graphql import (
    ArgumentNode,
    BooleanValueNode,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLType,
    GraphQLUnionType,
    InlineFragmentNode,
    SelectionNode,
    VariableDefinitionNode,
    VariableNode,
    get_named_type,
    get_operation_ast,
)

from gateway.planning.budget import spend
from gateway.planning.errors import PlanningError
from gateway.planning.printing import print_directives
from gateway.planning.query_graph import field_key

__all__ = ["NField", "NFragment", "NOperation", "NSelection", "conditions_of", "normalize_operation"]


@dataclass
class NField:
    """A field after normalisation. ``directives`` keeps variable ``@skip``/``@include`` and custom directives."""

    response_key: str
    name: str
    arguments: tuple[ArgumentNode, ...]
    directives: tuple[DirectiveNode, ...]
    type_name: str
    list_depth: int
    selections: list[NSelection] = field(default_factory=list)

    @property
    def alias(self) -> str | None:
        return self.response_key if self.response_key != self.name else None

    @cached_property
    def key(self) -> str:
        """The field's entry in a field set (name and arguments), to match ``@provides``/``@requires`` entries."""
        return field_key(self.name, self.arguments)


@dataclass
class NFragment:
    """An inline fragment; ``type_condition`` is None when it only carries directives."""

    type_condition: str | None
    directives: tuple[DirectiveNode, ...]
    selections: list[NSelection] = field(default_factory=list)


NSelection = NField | NFragment


@dataclass
class NOperation:
    kind: str
    name: str | None
    root_type: str
    selections: list[NSelection]
    variables: dict[str, VariableDefinitionNode]


def conditions_of(directives: tuple[DirectiveNode, ...]) -> tuple[tuple[str, bool], ...]:
    """The variable conditions of ``@skip(if: $v)`` (``(v, False)``) and ``@include(if: $v)`` (``(v, True)``)."""
    out: list[tuple[str, bool]] = []
    for d in directives:
        if d.name.value in ("skip", "include"):
            for a in d.arguments or ():
                if a.name.value == "if" and isinstance(a.value, VariableNode):
                    out.append((a.value.name.value, d.name.value == "include"))
    return tuple(out)


def _type_info(t: GraphQLOutputType) -> tuple[str, int]:
    depth = 0
    current: GraphQLType = t
    while isinstance(current, GraphQLNonNull | GraphQLList):
        if isinstance(current, GraphQLList):
            depth += 1
        current = current.of_type
    return get_named_type(current).name, depth


class _Normaliser:
    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.schema = schema
        self.fragments = fragments
        # (fragment name, type it is expanded in) -> its normalised selections, never handed out uncopied:
        # merging mutates the selections it merges into.
        self._expanded: dict[tuple[str, str], list[NSelection]] = {}

    def _keep(self, directives: tuple[DirectiveNode, ...]) -> tuple[DirectiveNode, ...] | None:
        """Evaluate literal @skip/@include: None drops the selection, else the directives left to pass on."""
        kept: list[DirectiveNode] = []
        for d in directives:
            if d.name.value in ("skip", "include"):
                value = next((a.value for a in d.arguments or () if a.name.value == "if"), None)
                if isinstance(value, BooleanValueNode):
                    if value.value == (d.name.value == "skip"):
                        return None
                    continue
            kept.append(d)
        return tuple(kept)

    def _is_possible(self, parent: str, condition: str) -> bool:
        """A fragment on ``condition`` always applies inside an object ``parent`` that is or implements it."""
        if parent == condition:
            return True
        parent_type = self.schema.get_type(parent)
        cond_type = self.schema.get_type(condition)
        if isinstance(parent_type, GraphQLObjectType) and isinstance(
            cond_type, GraphQLInterfaceType | GraphQLUnionType
        ):
            return self.schema.is_sub_type(cond_type, parent_type)
        return False

    def selections(
        self, parent: str, nodes: tuple[SelectionNode, ...], visiting: frozenset[str]
    ) -> list[NSelection]:
        out: list[NSelection] = []
        fields: dict[tuple[str, str], NField] = {}
        fragments: dict[tuple[str | None, str], NFragment] = {}
        for node in nodes:
            spend()
            directives = self._keep(tuple(node.directives or ()))
            if directives is None:
                continue
            if isinstance(node, FieldNode):
                self._add_field(parent, node, directives, out, fields, visiting)
                continue
            if isinstance(node, FragmentSpreadNode):
                name = node.name.value
                if name in visiting:
                    raise PlanningError("UNKNOWN_FRAGMENT", f"fragment {name} spreads itself")
                frag = self.fragments.get(name)
                if frag is None:
                    raise PlanningError("UNKNOWN_FRAGMENT", f"fragment {name} is not defined")
                condition: str | None = frag.type_condition.name.value
                inner_nodes = tuple(frag.selection_set.selections)
                inner_visiting = visiting | {name}
            else:
                assert isinstance(node, InlineFragmentNode)
                condition = node.type_condition.name.value if node.type_condition else None
                inner_nodes = tuple(node.selection_set.selections)
                inner_visiting = visiting
            if condition is not None and self.schema.get_type(condition) is None:
                raise PlanningError("UNKNOWN_TYPE", f"type {condition} is not in the API schema")
            if condition is None or self._is_possible(parent, condition):
                condition = None
            if isinstance(node, FragmentSpreadNode):
                inner = self._expand(node.name.value, condition or parent, inner_nodes, inner_visiting)
            else:
                inner = self.selections(condition or parent, inner_nodes, inner_visiting)
            if condition is None and not directives:
                for s in inner:
                    if isinstance(s, NField):
                        self._merge_field(s, out, fields)
                    else:
                        self._merge_fragment(s, out, fragments)
                continue
            self._merge_fragment(NFragment(condition, directives, inner), out, fragments)
        return out

    def _expand(
        self, name: str, parent: str, nodes: tuple[SelectionNode, ...], visiting: frozenset[str]
    ) -> list[NSelection]:
        """The selections of fragment ``name`` spread in ``parent``: normalised once, copied afterwards."""
        key = (name, parent)
        expanded = self._expanded.get(key)
        if expanded is None:
            expanded = self._expanded[key] = self.selections(parent, nodes, visiting)
        return _copy(expanded)

    def _add_field(
        self,
        parent: str,
        node: FieldNode,
        directives: tuple[DirectiveNode, ...],
        out: list[NSelection],
        fields: dict[tuple[str, str], NField],
        visiting: frozenset[str],
    ) -> None:
        name = node.name.value
        key = node.alias.value if node.alias else name
        if name == "__typename":
            type_name, depth = "String", 0
        elif name in ("__schema", "__type"):
            type_name, depth = ("__Schema" if name == "__schema" else "__Type"), 0
        else:
            parent_type = self.schema.get_type(parent)
            field_def = getattr(parent_type, "fields", {}).get(name)
            if field_def is None:
                raise PlanningError("UNKNOWN_FIELD", f"{parent}.{name} is not in the API schema")
            type_name, depth = _type_info(field_def.type)
        inner: list[NSelection] = []
        if node.selection_set is not None and name not in ("__schema", "__type"):
            inner = self.selections(type_name, tuple(node.selection_set.selections), visiting)
        nf = NField(key, name, tuple(node.arguments or ()), directives, type_name, depth, inner)
        self._merge_field(nf, out, fields)

    def _merge_field(self, nf: NField, out: list[NSelection], fields: dict[tuple[str, str], NField]) -> None:
        ident = (nf.response_key, _directives_text(nf.directives))
        existing = fields.get(ident)
        if existing is None:
            fields[ident] = nf
            out.append(nf)
            return
        self._merge_selections(nf.selections, existing.selections)

    def _merge_fragment(
        self, frag: NFragment, out: list[NSelection], fragments: dict[tuple[str | None, str], NFragment]
    ) -> None:
        ident = (frag.type_condition, _directives_text(frag.directives))
        existing = fragments.get(ident)
        if existing is None:
            fragments[ident] = frag
            out.append(frag)
            return
        self._merge_selections(frag.selections, existing.selections)

    def _merge_selections(self, selections: list[NSelection], into: list[NSelection]) -> None:
        """Merge ``selections`` into the selection set ``into`` of an equal field or fragment (GraphQL spec
        6.3.2 CollectFields: fields of one response key are one field)."""
        fields = {(s.response_key, _directives_text(s.directives)): s for s in into if isinstance(s, NField)}
        fragments = {
            (s.type_condition, _directives_text(s.directives)): s for s in into if isinstance(s, NFragment)
        }
        for s in selections:
            if isinstance(s, NField):
                self._merge_field(s, into, fields)
            else:
                self._merge_fragment(s, into, fragments)


def _copy(selections: list[NSelection]) -> list[NSelection]:
    """A deep copy of normalised selections (AST nodes shared: they are never mutated)."""
    out: list[NSelection] = []
    for s in selections:
        spend()
        if isinstance(s, NField):
            out.append(
                NField(
                    s.response_key,
                    s.name,
                    s.arguments,
                    s.directives,
                    s.type_name,
                    s.list_depth,
                    _copy(s.selections),
                )
            )
        else:
            out.append(NFragment(s.type_condition, s.directives, _copy(s.selections)))
    return out


def _directives_text(directives: tuple[DirectiveNode, ...]) -> str:
    if not directives:
        return ""
    return print_directives(directives)


def normalize_operation(
    schema: GraphQLSchema, document: DocumentNode, operation_name: str | None
) -> NOperation:
    """Pick the operation (GraphQL spec 6.1 "GetOperation") and normalise its selection set."""
    op = get_operation_ast(document, operation_name)
    if op is None:
        if operation_name is None:
            raise PlanningError("UNKNOWN_OPERATION", "the document must have exactly one operation or a name")
        raise PlanningError("UNKNOWN_OPERATION", f"no operation named {operation_name!r}")
    kind = op.operation.value
    root = {
        "query": schema.query_type,
        "mutation": schema.mutation_type,
        "subscription": schema.subscription_type,
    }[kind]
    if root is None:
        raise PlanningError("UNKNOWN_OPERATION", f"the schema has no {kind} root type")
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    normaliser = _Normaliser(schema, fragments)
    selections = normaliser.selections(root.name, tuple(op.selection_set.selections), frozenset())
    variables = {v.variable.name.value: v for v in op.variable_definitions or ()}
    return NOperation(kind, op.name.value if op.name else None, root.name, selections, variables)
