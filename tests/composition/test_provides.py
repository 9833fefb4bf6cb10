"""@provides: external fields that come along on a path, and its errors."""

from __future__ import annotations

from .support import Oracle, assert_composes_like_oracle, assert_fails_like_oracle, fed2

USERS = fed2("key") + 'type Query { me: User } type User @key(fields: "id") { id: ID! name: String }'
# A provided field is resolved by the providing subgraph too, so its owner must share it.
SHARED_USERS = USERS.replace('"@key"', '"@key", "@shareable"').replace(
    "name: String }", "name: String @shareable }"
)


def test_provides_external_field(oracle: Oracle) -> None:
    reviews = fed2("key", "external", "provides") + (
        'type Query { latest: [Review] } type Review { body: String author: User @provides(fields: "name") } '
        'type User @key(fields: "id") { id: ID! name: String @external }'
    )
    result = assert_composes_like_oracle([("users", SHARED_USERS), ("reviews", reviews)], oracle)
    assert 'author: User @join__field(graph: REVIEWS, provides: "name")' in (result.supergraph_sdl or "")
    model = result.supergraph()
    assert model.field("Review", "author").subgraphs["reviews"].provides == "name"
    assert model.field("User", "name").subgraphs["reviews"].external


def test_provides_field_not_external(oracle: Oracle) -> None:
    reviews = fed2("key", "shareable", "provides") + (
        'type Query { latest: [Review] } type Review { body: String author: User @provides(fields: "name") } '
        'type User @key(fields: "id") { id: ID! name: String @shareable }'
    )
    assert_fails_like_oracle(
        [("users", USERS), ("reviews", reviews)], oracle, "PROVIDES_FIELDS_MISSING_EXTERNAL", '"User.name"'
    )


def test_provides_on_a_scalar_field(oracle: Oracle) -> None:
    a = fed2("provides") + 'type Query { n: Int @provides(fields: "x") }'
    assert_fails_like_oracle([("a", a)], oracle, "PROVIDES_ON_NON_OBJECT_FIELD", '"Query.n"')


def test_provides_unknown_field(oracle: Oracle) -> None:
    reviews = fed2("key", "external", "provides") + (
        'type Query { latest: [Review] } type Review { author: User @provides(fields: "nickname") } '
        'type User @key(fields: "id") { id: ID! }'
    )
    assert_fails_like_oracle(
        [("users", USERS), ("reviews", reviews)], oracle, "PROVIDES_INVALID_FIELDS", '"nickname"'
    )
