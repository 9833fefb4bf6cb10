"""A subscription's plan: the root fetch becomes the event stream, what follows it runs once per event.

A subscription has exactly one root field (GraphQL spec 5.2.3.1, "Single root field"), resolved by the subgraph
that owns it (its own ``subscription`` operation over graphql-transport-ws) or by a broker for an event-driven
field (``SupergraphField.event_source``). The rest of the selection is planned like a query's, rooted at each
event's data: the planner's ordinary output is ``Fetch`` or ``Sequence [Fetch, ...]``, split here.
"""

from __future__ import annotations

from graphql import FieldNode, OperationDefinitionNode

from gateway.composition.supergraph import Supergraph
from gateway.planning.errors import PlanningError
from gateway.planning.plan import EventSourceNode, FetchNode, PlanNode, SequenceNode, SubscriptionNode

__all__ = ["subscription_node"]


def _root_field(fetch: FetchNode) -> FieldNode:
    operation = next(d for d in fetch.document.definitions if isinstance(d, OperationDefinitionNode))
    fields = [s for s in operation.selection_set.selections if isinstance(s, FieldNode)]
    if len(fields) != 1 or len(operation.selection_set.selections) != 1:
        raise PlanningError("UNSATISFIABLE", "a subscription's root fetch must select exactly one field", ())
    return fields[0]


def subscription_node(supergraph: Supergraph, node: PlanNode) -> SubscriptionNode:
    """``node`` (a subscription operation's plan) as a ``SubscriptionNode``."""
    rest_nodes: tuple[PlanNode, ...] = ()
    if isinstance(node, FetchNode):
        primary = node
    elif isinstance(node, SequenceNode) and isinstance(node.nodes[0], FetchNode):
        primary, rest_nodes = node.nodes[0], node.nodes[1:]
    else:
        raise PlanningError(
            "UNSATISFIABLE", "a subscription's root field must be fetched unconditionally, first", ()
        )
    if primary.operation_kind != "subscription" or primary.requires is not None:
        raise PlanningError("UNSATISFIABLE", "a subscription's first fetch must be its root field", ())
    rest: PlanNode | None = None
    if len(rest_nodes) == 1:
        rest = rest_nodes[0]
    elif rest_nodes:
        rest = SequenceNode(tuple(rest_nodes))
    root = _root_field(primary)
    root_type = supergraph.root_types.get("subscription", "Subscription")
    source = supergraph.field(root_type, root.name.value).event_source
    if source is None or source.graph != primary.service_name:
        return SubscriptionNode(primary, rest)
    event = EventSourceNode(
        fetch=primary,
        response_key=root.alias.value if root.alias else root.name.value,
        field_name=root.name.value,
        subjects=source.subjects,
        provider=source.provider,
        provider_id=source.provider_id,
        stream=source.stream,
        consumer=source.consumer,
    )
    return SubscriptionNode(event, rest)
