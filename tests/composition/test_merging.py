"""Merging rules not tied to one directive: descriptions, deprecations, root renames, determinism."""

from __future__ import annotations

import time

from graphql import build_schema, validate_schema

from .support import Oracle, assert_composes_like_oracle, compose_sdls, fed2

USERS = fed2("key", "shareable") + (
    '"The root" type Query { me: User users(first: Int = 10): [User!]! } '
    '"A person" type User @key(fields: "id") { id: ID! "Display name" name: String @shareable '
    'email: String @deprecated(reason: "use contact") }'
)
REVIEWS = fed2("key", "shareable") + (
    'type User @key(fields: "id") { id: ID! name: String @shareable reviews: [Review!]! } '
    'type Review { id: ID! body: String stars: Stars } enum Stars { "one" ONE TWO THREE @deprecated }'
)
PRODUCTS = fed2("key") + (
    "type Query { top(n: Int! = 5): [Product] } "
    'type Product @key(fields: "upc") { upc: String! "in grams" weight: Int }'
)


def test_descriptions_and_deprecations(oracle: Oracle) -> None:
    result = assert_composes_like_oracle([("users", USERS), ("reviews", REVIEWS)], oracle)
    api = result.supergraph().api_schema
    user = api.type_map["User"]
    assert user.description == "A person"
    assert user.fields["name"].description == "Display name"  # type: ignore[attr-defined]
    assert user.fields["email"].deprecation_reason == "use contact"  # type: ignore[attr-defined]


def test_root_types_are_renamed(oracle: Oracle) -> None:
    a = (
        fed2()
        + "schema { query: RootQuery mutation: Writes } type RootQuery { a: Int } type Writes { w: Int }"
    )
    b = fed2() + "type Query { b: Int }"
    result = assert_composes_like_oracle([("a", a), ("b", b)], oracle)
    sdl = result.supergraph_sdl or ""
    assert "RootQuery" not in sdl and "Writes" not in sdl
    assert "mutation: Mutation" in sdl


def test_output_is_deterministic_and_independent_of_subgraph_order() -> None:
    one = compose_sdls([("users", USERS), ("reviews", REVIEWS), ("products", PRODUCTS)])
    two = compose_sdls([("products", PRODUCTS), ("reviews", REVIEWS), ("users", USERS)])
    assert one.supergraph_sdl is not None
    assert one.supergraph_sdl == two.supergraph_sdl
    assert validate_schema(build_schema(one.supergraph_sdl)) == []


def test_supergraph_is_accepted_by_the_reference_reader(oracle: Oracle) -> None:
    # The oracle recomposes from our supergraph's own subgraphs; here we check our SDL parses as a supergraph
    # for graphql-core and reads back to the same model the planner uses.
    result = assert_composes_like_oracle(
        [("users", USERS), ("reviews", REVIEWS), ("products", PRODUCTS)], oracle
    )
    model = result.supergraph()
    assert set(model.subgraphs) == {"users", "reviews", "products"}
    assert model.subgraphs["users"].url == "http://users.local/graphql"
    assert model.field("User", "reviews").resolvable_in() == ["reviews"]
    assert sorted(model.field("User", "name").resolvable_in()) == ["reviews", "users"]


def test_composing_three_subgraphs_is_fast() -> None:
    compose_sdls([("users", USERS), ("reviews", REVIEWS), ("products", PRODUCTS)])  # warm imports
    start = time.perf_counter()
    result = compose_sdls([("users", USERS), ("reviews", REVIEWS), ("products", PRODUCTS)])
    elapsed = time.perf_counter() - start
    assert result.errors == []
    assert elapsed < 0.5, elapsed


def test_executable_directives_need_every_subgraph() -> None:
    # Apollo's rule (the Guild's composer keeps them all): an executable directive reaches the supergraph only
    # when every subgraph defines it, with the locations they share, since the gateway forwards it to any of them.
    a = (
        fed2()
        + "directive @log(level: Int) on FIELD | QUERY | FIELD_DEFINITION directive @only on FIELD type Query { a: Int }"
    )
    b = fed2() + "directive @log(level: Int) on FIELD | MUTATION type Query { b: Int }"
    result = compose_sdls([("a", a), ("b", b)])
    sdl = result.supergraph_sdl or ""
    assert "directive @log(level: Int) on FIELD\n" in sdl
    assert "@only" not in sdl
    assert result.supergraph().api_schema.get_directive("log") is not None
