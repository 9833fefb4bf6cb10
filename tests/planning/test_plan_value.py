"""The plan is a value that carries what execution needs: parsed operations and the targets' entity keys."""

from __future__ import annotations

from graphql import parse

from gateway.planning import plan_operation
from gateway.planning.plan import EntityKey, FetchNode, FieldSelection, FlattenNode, PlanNode, SequenceNode

from .supergraphs import fixture


def _fetches(node: PlanNode | None) -> list[FetchNode]:
    if isinstance(node, FetchNode):
        return [node]
    if isinstance(node, FlattenNode):
        return [node.node]
    if isinstance(node, SequenceNode):
        return [f for n in node.nodes for f in _fetches(n)]
    return [f for n in getattr(node, "nodes", ()) for f in _fetches(n)]


def test_entity_fetches_carry_every_resolvable_key_of_the_target() -> None:
    plan = plan_operation(
        fixture("shop.apollo"), parse("{ topProducts { reviews { author { name } } } }"), None
    )
    keys = {f.service_name: f.entity_keys for f in _fetches(plan.node)}
    assert keys["products"] == ()
    assert keys["reviews"] == (EntityKey("Product", (FieldSelection("upc"),)),)
    # accounts declares two keys on User: a representation needs one of them.
    assert keys["accounts"] == (
        EntityKey("User", (FieldSelection("id"),)),
        EntityKey("User", (FieldSelection("username"),)),
    )


def test_the_plan_json_does_not_show_entity_keys_or_documents() -> None:
    plan = plan_operation(fixture("shop.apollo"), parse("{ topProducts { reviews { body } } }"), None)
    fetch = _fetches(plan.node)[1].to_json()
    assert set(fetch) == {"kind", "serviceName", "variableUsages", "operation", "operationKind", "requires"}
