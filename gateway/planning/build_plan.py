"""Turn fetch steps into plan nodes (plan.py): operation text, Flatten paths, Sequence/Parallel/Condition.

Steps whose dependencies form a tree become nested ``Sequence [fetch, Parallel [children]]`` so each branch
waits only for its own parent; when a step waits for several unrelated steps (``@requires`` from two places)
the plan falls back to levels: ``Sequence [Parallel [level 0], Parallel [level 1], ...]``. Mutation groups run
in a ``Sequence`` in document order. A subtree whose steps exist only under a variable ``@skip``/``@include``
is wrapped in a ``ConditionNode``.
"""

from __future__ import annotations

from graphql import (
    ArgumentNode,
    DocumentNode,
    FieldNode,
    ListTypeNode,
    NamedTypeNode,
    NonNullTypeNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableDefinitionNode,
    VariableNode,
)

from gateway.composition.types import type_text, value_text
from gateway.planning.fetch_step import FetchStep
from gateway.planning.plan import (
    ConditionNode,
    EntityKey,
    FetchNode,
    FieldSelection,
    FlattenNode,
    InlineFragmentSelection,
    InputRewrite,
    ParallelNode,
    PlanNode,
    RequiresSelection,
    SequenceNode,
)
from gateway.planning.query_graph import FieldSet, QueryGraph, entry_name, fragment_condition
from gateway.planning.representation import Conditions, Representation
from gateway.planning.selection import OutSelectionSet, name_node, variables_in, without_location

__all__ = ["build_plan_node"]


# ``$representations: [_Any!]!`` and ``_entities(representations: $representations)`` (federation spec).
_REPRESENTATIONS = VariableNode(name=name_node("representations"))
_REPRESENTATIONS_DEFINITION = VariableDefinitionNode(
    variable=_REPRESENTATIONS,
    type=NonNullTypeNode(type=ListTypeNode(type=NonNullTypeNode(type=NamedTypeNode(name=name_node("_Any"))))),
)
_ENTITIES_ARGUMENTS = (ArgumentNode(name=name_node("representations"), value=_REPRESENTATIONS),)


_OPERATION_TYPES = {t.value: t for t in OperationType}


def _operation_document(
    kind: str,
    name: str | None,
    definitions: list[VariableDefinitionNode],
    selections: OutSelectionSet,
    entities: bool,
) -> DocumentNode:
    """The fetch's operation as a graphql-core AST: what parsing its text gives (``no_location``)."""
    selection_set = selections.node()
    if entities:
        entities_field = FieldNode(
            name=name_node("_entities"), arguments=_ENTITIES_ARGUMENTS, selection_set=selection_set
        )
        selection_set = SelectionSetNode(selections=(entities_field,))
    operation = OperationDefinitionNode(
        operation=_OPERATION_TYPES[kind],
        name=name_node(name) if name else None,
        variable_definitions=tuple(definitions) or None,
        selection_set=selection_set,
    )
    return DocumentNode(definitions=(operation,))


def _variable_definition(definition: VariableDefinitionNode) -> VariableDefinitionNode:
    default = definition.default_value
    return VariableDefinitionNode(
        variable=without_location(definition.variable),
        type=without_location(definition.type),
        default_value=without_location(default) if default is not None else None,
    )


def _rep_selections(rep: Representation) -> tuple[RequiresSelection, ...]:
    out: list[RequiresSelection] = []
    for name, (key, sub) in rep.items():
        condition = fragment_condition(name)
        if condition is not None:
            # A fragment inside a required abstract field (``content { ... on Article { words } }``).
            out.append(InlineFragmentSelection(condition, _rep_selections(sub)))
        else:
            out.append(FieldSelection(name, _rep_selections(sub), response_key=key if key != name else None))
    return tuple(out)


def _key_selections(key: FieldSet) -> tuple[RequiresSelection, ...]:
    out: list[RequiresSelection] = []
    for entry, sub in key:
        condition = fragment_condition(entry)
        if condition is not None:
            out.append(InlineFragmentSelection(condition, _key_selections(sub)))
        else:
            out.append(FieldSelection(entry_name(entry), _key_selections(sub)))
    return tuple(out)


def _entity_keys(graph: QueryGraph, step: FetchStep) -> tuple[EntityKey, ...]:
    """The target's resolvable keys of every type a representation of ``step`` may name."""
    types: dict[str, None] = {}
    for type_name in step.requires:
        types[type_name] = None
        types.update(dict.fromkeys(graph.supergraph_possible_types(type_name)))
    types.update(dict.fromkeys(step.rewrites.values()))
    return tuple(
        EntityKey(type_name, _key_selections(edge.key))
        for type_name in types
        for edge in graph.keys(type_name)
        if edge.target == step.subgraph
    )


def _fetch_node(
    graph: QueryGraph,
    step: FetchStep,
    variables: dict[str, VariableDefinitionNode],
    operation_name: str | None,
    index: int,
) -> FetchNode:
    used: dict[str, None] = {}
    variables_in(step.selections, used)
    declared = []
    definitions = [_variable_definition(variables[name]) for name in used]
    for name in used:
        definition = variables[name]
        text = f"${name}:{type_text(definition.type)}"
        if definition.default_value is not None:
            text += f"={value_text(definition.default_value)}"
        declared.append(text)
    parts: list[str] = []
    step.selections.text(parts)
    body = "".join(parts)
    op_name = f"{operation_name}__{step.subgraph}__{index}" if operation_name else None
    if step.is_entity:
        declared.insert(0, "$representations:[_Any!]!")
        definitions.insert(0, _REPRESENTATIONS_DEFINITION)
        head = "query" + (f" {op_name}" if op_name else "")
        operation = f"{head}({','.join(declared)}){{_entities(representations:$representations){body}}}"
        requires = tuple(InlineFragmentSelection(t, _rep_selections(rep)) for t, rep in step.requires.items())
        rewrites = tuple(InputRewrite(t, to) for t, to in sorted(step.rewrites.items()))
        return FetchNode(
            service_name=step.subgraph,
            operation=operation,
            variable_usages=tuple(used),
            requires=requires,
            document=_operation_document("query", op_name, definitions, step.selections, True),
            operation_kind="query",
            operation_name=op_name,
            input_rewrites=rewrites,
            entity_keys=_entity_keys(graph, step),
        )
    if declared or op_name or step.operation_kind != "query":
        head = step.operation_kind + (f" {op_name}" if op_name else "")
        if declared:
            head += f"({','.join(declared)})"
        operation = head + body
    else:
        operation = body
    return FetchNode(
        service_name=step.subgraph,
        operation=operation,
        variable_usages=tuple(used),
        document=_operation_document(step.operation_kind, op_name, definitions, step.selections, False),
        operation_kind=step.operation_kind,
        operation_name=op_name,
    )


def _wrap_conditions(node: PlanNode, conditions: Conditions, implied: Conditions) -> PlanNode:
    for variable, include in sorted(conditions - implied, reverse=True):
        node = (
            ConditionNode(variable, if_clause=node) if include else ConditionNode(variable, else_clause=node)
        )
    return node


def _sequence(nodes: list[PlanNode]) -> PlanNode:
    flat: list[PlanNode] = []
    for n in nodes:
        flat.extend(n.nodes if isinstance(n, SequenceNode) else [n])
    return flat[0] if len(flat) == 1 else SequenceNode(tuple(flat))


def _parallel(nodes: list[PlanNode]) -> PlanNode:
    flat: list[PlanNode] = []
    for n in nodes:
        flat.extend(n.nodes if isinstance(n, ParallelNode) else [n])
    return flat[0] if len(flat) == 1 else ParallelNode(tuple(flat))


def build_plan_node(
    graph: QueryGraph,
    steps: list[FetchStep],
    variables: dict[str, VariableDefinitionNode],
    operation_name: str | None,
) -> PlanNode | None:
    if not steps:
        return None
    by_id = {s.id: s for s in steps}
    fetches: dict[int, PlanNode] = {}
    for index, step in enumerate(steps):
        fetch = _fetch_node(graph, step, variables, operation_name, index)
        fetches[step.id] = FlattenNode(step.path, fetch) if step.is_entity else fetch

    ancestors: dict[int, set[int]] = {}
    reduced: dict[int, set[int]] = {}
    for step in steps:
        deps = {d for d in step.depends_on if d in by_id}
        ancestors[step.id] = set(deps).union(*(ancestors[d] for d in deps)) if deps else set()
        reduced[step.id] = {d for d in deps if not any(d in ancestors[e] for e in deps if e != d)}

    groups = sorted({s.group for s in steps})
    group_nodes: list[PlanNode] = []
    for group in groups:
        members = [s for s in steps if s.group == group]
        if all(len(reduced[s.id]) <= 1 for s in members):
            group_nodes.append(_tree(members, fetches, reduced))
        else:
            group_nodes.append(_levels(members, fetches, reduced))
    return _sequence(group_nodes)


def _tree(members: list[FetchStep], fetches: dict[int, PlanNode], reduced: dict[int, set[int]]) -> PlanNode:
    children: dict[int, list[FetchStep]] = {}
    roots: list[FetchStep] = []
    for s in members:
        parent = next(iter(reduced[s.id]), None)
        if parent is None:
            roots.append(s)
        else:
            children.setdefault(parent, []).append(s)

    return _parallel([_subtree(r, frozenset(), fetches, children) for r in roots])


def _subtree(
    step: FetchStep, implied: Conditions, fetches: dict[int, PlanNode], children: dict[int, list[FetchStep]]
) -> PlanNode:
    """``step``'s fetch, then its children in parallel. A function of its own, not a closure calling itself:
    that is a reference cycle holding the plan's fetches until the collector's next pass."""
    node = fetches[step.id]
    kids = children.get(step.id, [])
    if kids:
        branches = [_subtree(k, step.conditions | implied, fetches, children) for k in kids]
        node = _sequence([node, _parallel(branches)])
    return _wrap_conditions(node, step.conditions, implied)


def _levels(members: list[FetchStep], fetches: dict[int, PlanNode], reduced: dict[int, set[int]]) -> PlanNode:
    level: dict[int, int] = {}
    for s in members:
        level[s.id] = 1 + max((level[d] for d in reduced[s.id] if d in level), default=-1)
    out: list[PlanNode] = []
    for n in range(max(level.values()) + 1):
        nodes = [
            _wrap_conditions(fetches[s.id], s.conditions, frozenset()) for s in members if level[s.id] == n
        ]
        out.append(_parallel(nodes))
    return _sequence(out)
