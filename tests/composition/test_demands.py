"""``@authenticated``, ``@requiresScopes``, ``@policy``, ``@cost`` and ``@listSize`` reach the supergraph as Apollo's
composition writes them (links, merged arguments, placement), and the supergraph model exposes them, whether
composed or read from Apollo's own supergraph SDL."""

from __future__ import annotations

from gateway.composition.read_supergraph import read_supergraph
from gateway.composition.supergraph import ListSize, Supergraph

from .support import Oracle, assert_composes_like_apollo, fed2

A = (
    fed2("key", "authenticated", "requiresScopes", "policy", "cost", "listSize", "shareable", version="2.9")
    + """
type Query {
  me: User @authenticated
  users(first: Int): [User!]! @listSize(assumedSize: 10, slicingArguments: ["first"]) @cost(weight: 2)
  search(limit: Int): Page @listSize(slicingArguments: ["limit"], sizedFields: ["items"], requireOneSlicingArgument: false)
}
type Page { items: [User!]! }
type User @key(fields: "id") @requiresScopes(scopes: [["read:users"]]) @cost(weight: 3) {
  id: ID!
  email: String @shareable @requiresScopes(scopes: [["read:email"], ["admin"]]) @policy(policies: [["p1"]])
}
"""
)
B = (
    fed2("key", "requiresScopes", "policy", "authenticated", "shareable", "cost", version="2.9")
    + """
type User @key(fields: "id") @requiresScopes(scopes: [["profile"]]) @authenticated @cost(weight: 5) {
  id: ID!
  email: String @shareable @requiresScopes(scopes: [["read:email", "b"]]) @policy(policies: [["p2"], ["p3"]])
  posts: Int @policy(policies: [["p4"]])
}
"""
)
SUBGRAPHS = [("a", A), ("b", B)]


def _check(model: Supergraph) -> None:
    user = model.type("User")
    assert user.authenticated
    assert user.requires_scopes == (("read:users",), ("profile",))
    assert user.cost == 5  # the maximum weight
    email = model.field("User", "email")
    # Apollo 2.9 merges the alternatives of every subgraph (their union).
    assert email.requires_scopes == (("read:email",), ("admin",), ("read:email", "b"))
    assert email.policies == (("p1",), ("p2",), ("p3",))
    assert not email.authenticated
    assert model.field("User", "posts").policies == (("p4",),)
    assert model.field("Query", "me").authenticated
    users = model.field("Query", "users")
    assert users.cost == 2
    assert users.list_size == ListSize(assumed_size=10, slicing_arguments=("first",))
    assert model.field("Query", "search").list_size == ListSize(
        slicing_arguments=("limit",), sized_fields=("items",), require_one_slicing_argument=False
    )
    assert model.field("Query", "me").cost is None and model.field("Query", "me").list_size is None


def test_demands_reach_the_supergraph_like_apollos(apollo: Oracle) -> None:
    result = assert_composes_like_apollo(SUBGRAPHS)
    sdl = result.supergraph_sdl or ""
    reference = apollo(SUBGRAPHS)["supergraphSdl"]
    for line in (
        '@link(url: "https://specs.apollo.dev/authenticated/v0.1", for: SECURITY)',
        '@link(url: "https://specs.apollo.dev/requiresScopes/v0.1", for: SECURITY)',
        '@link(url: "https://specs.apollo.dev/policy/v0.1", for: SECURITY)',
        '@link(url: "https://specs.apollo.dev/cost/v0.1", import: ["@listSize"])',
        '@requiresScopes(scopes: [["read:email"], ["admin"], ["read:email", "b"]]) @policy(policies: [["p1"], ["p2"], ["p3"]])',
        '@listSize(assumedSize: 10, slicingArguments: ["first"]) @cost(weight: 2)',
        "me: User @join__field(graph: A) @authenticated",
    ):
        assert line in sdl and line in reference, line
    _check(result.supergraph())


def test_demands_are_read_from_apollos_supergraph(apollo: Oracle) -> None:
    model = read_supergraph(apollo(SUBGRAPHS)["supergraphSdl"])
    _check(model)
    assert "authenticated" not in str(model.api_schema.directives)


def test_no_demand_links_without_demands(apollo: Oracle) -> None:
    result = assert_composes_like_apollo([("a", fed2("key") + "type Query { a: Int }")])
    assert "specs.apollo.dev/cost" not in (result.supergraph_sdl or "")
    assert result.supergraph().field("Query", "a").cost is None


COSTED_A = (
    fed2("key", "cost", "listSize", "shareable", version="2.9")
    + """
type Query {
  filtered(tag: String @cost(weight: 7), where: Filter): [User!]! @listSize(assumedSize: 2) @shareable
}
input Filter { name: String @cost(weight: 4) age: Int }
type User @key(fields: "id") { id: ID! }
"""
)
COSTED_B = (
    fed2("key", "cost", "shareable", version="2.9")
    + """
type Query { filtered(tag: String @cost(weight: 9), where: Filter): [User!]! @shareable }
input Filter { name: String @cost(weight: 2) age: Int }
type User @key(fields: "id") { id: ID! }
"""
)


def test_cost_on_arguments_and_input_fields_reaches_the_supergraph_like_apollos(apollo: Oracle) -> None:
    # The cost spec puts @cost on ARGUMENT_DEFINITION and INPUT_FIELD_DEFINITION too; Apollo keeps the
    # largest weight of the subgraphs.
    subgraphs = [("a", COSTED_A), ("b", COSTED_B)]
    result = assert_composes_like_apollo(subgraphs)
    sdl = result.supergraph_sdl or ""
    reference = apollo(subgraphs)["supergraphSdl"]
    for line in (
        "filtered(tag: String @cost(weight: 9), where: Filter): [User!]! @listSize(assumedSize: 2)",
        "name: String @cost(weight: 4)",
    ):
        assert line in reference, line
        assert line in sdl, line
