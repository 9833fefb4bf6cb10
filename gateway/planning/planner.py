"""The query planner: operation + supergraph -> query plan, a pure function (no I/O, deterministic).

Stages (after Hive Router's planner): normalise the operation (normalize.py) -> query graph of the supergraph
(query_graph.py, cached) -> best entity moves (paths.py) while building fetch steps
(root_fields.py, walk.py, entity_moves.py) ->
optimisation passes (optimize.py) -> plan nodes (build_plan.py; a subscription's split into the stream and
the per-event rest, subscription.py).
"""

from __future__ import annotations

from graphql import DocumentNode

from gateway.composition.supergraph import Supergraph
from gateway.planning.build_plan import build_plan_node
from gateway.planning.normalize import normalize_operation
from gateway.planning.optimize import optimize
from gateway.planning.plan import QueryPlan
from gateway.planning.query_graph import query_graph
from gateway.planning.root_fields import build_fetch_steps
from gateway.planning.subscription import subscription_node

__all__ = ["plan_operation"]


def plan_operation(
    supergraph: Supergraph,
    document: DocumentNode,
    operation_name: str | None,
    *,
    override_labels: frozenset[str] = frozenset(),
) -> QueryPlan:
    """Plan one operation of a document already validated against ``supergraph.api_schema``.

    ``override_labels`` are the progressive-override labels enabled for this request (``@override(label:)``):
    a field overridden with an enabled label is resolved by the overriding subgraph, otherwise by the original.
    Raises ``PlanningError`` when the operation cannot be planned.
    """
    operation = normalize_operation(supergraph.api_schema, document, operation_name)
    graph = query_graph(supergraph, override_labels)
    dropped: set[tuple[tuple[str, ...], str]] = set()
    steps = optimize(build_fetch_steps(graph, operation, dropped))
    node = build_plan_node(graph, steps, operation.variables, operation.name)
    if operation.kind == "subscription" and node is not None:
        node = subscription_node(supergraph, node)
    aliases: dict[str, set[str]] = {}
    for step in steps:
        for alias, key in step.aliases.items():
            aliases.setdefault(key, set()).add(alias)
    client_key = {alias: key for key, names in aliases.items() for alias in names}
    return QueryPlan(
        node=node,
        document=document,
        operation_name=operation_name,
        response_aliases=tuple((k, tuple(sorted(v))) for k, v in sorted(aliases.items())),
        dropped_fragments=frozenset(
            (tuple(client_key.get(k, k) for k in path if k != "@"), condition) for path, condition in dropped
        ),
    )
