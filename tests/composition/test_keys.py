"""@key: simple, compound, nested, multiple, resolvable: false; invalid key field sets."""

from __future__ import annotations

from .support import Oracle, assert_composes_like_oracle, assert_fails_like_oracle, fed2


def test_entity_shared_through_a_key(oracle: Oracle) -> None:
    users = fed2("key") + 'type Query { me: User } type User @key(fields: "id") { id: ID! name: String }'
    reviews = fed2("key") + 'type User @key(fields: "id") { id: ID! reviews: [String!]! }'
    result = assert_composes_like_oracle([("users", users), ("reviews", reviews)], oracle)
    assert result.supergraph_sdl is not None
    assert '@join__type(graph: REVIEWS, key: "id")' in result.supergraph_sdl
    assert '@join__type(graph: USERS, key: "id")' in result.supergraph_sdl
    assert "reviews: [String!]! @join__field(graph: REVIEWS)" in result.supergraph_sdl
    user = result.supergraph().type("User")
    assert [k.fields for k in user.keys("reviews")] == ["id"]
    assert result.supergraph().field("User", "name").resolvable_in() == ["users"]


def test_compound_nested_and_multiple_keys(oracle: Oracle) -> None:
    a = fed2("key", "shareable") + (
        'type Query { t: T } type T @key(fields: "id org { id }") @key(fields: "uid") '
        "{ id: ID! uid: ID! org: Org! } type Org @shareable { id: ID! }"
    )
    b = fed2("key", "shareable") + (
        'type T @key(fields: "id org { id }") { id: ID! org: Org! name: String } type Org @shareable { id: ID! }'
    )
    result = assert_composes_like_oracle([("a", a), ("b", b)], oracle)
    model = result.supergraph()
    assert [k.fields for k in model.type("T").keys("a")] == ["id org { id }", "uid"]
    assert model.field("T", "name").resolvable_in() == ["b"]


def test_resolvable_false_reference(oracle: Oracle) -> None:
    a = fed2("key") + 'type Query { t: T } type T @key(fields: "id", resolvable: false) { id: ID! }'
    b = fed2("key") + 'type Query { b: Int } type T @key(fields: "id") { id: ID! name: String }'
    result = assert_composes_like_oracle([("a", a), ("b", b)], oracle)
    assert result.supergraph_sdl is not None
    assert '@join__type(graph: A, key: "id", resolvable: false)' in result.supergraph_sdl
    assert result.supergraph().type("T").keys("a")[0].resolvable is False


def test_key_on_unknown_field(oracle: Oracle) -> None:
    a = fed2("key") + 'type Query { t: T } type T @key(fields: "idd") { id: ID! }'
    assert_fails_like_oracle([("a", a)], oracle, "KEY_INVALID_FIELDS", '"T"', 'field "idd"', "@external")


def test_key_with_syntax_error(oracle: Oracle) -> None:
    a = fed2("key") + 'type Query { t: T } type T @key(fields: "id {") { id: ID! }'
    assert_fails_like_oracle([("a", a)], oracle, "KEY_INVALID_FIELDS", '@key(fields: "id {")')


def test_key_selecting_an_interface(oracle: Oracle) -> None:
    a = fed2("key") + (
        "type Query { t: T } interface N { id: ID! } type X implements N { id: ID! } "
        'type T @key(fields: "n { id }") { n: N! }'
    )
    assert_fails_like_oracle([("a", a)], oracle, "KEY_FIELDS_SELECT_INVALID_TYPE", '"T.n"', "Interface")


def test_key_field_with_arguments(oracle: Oracle) -> None:
    a = fed2("key") + 'type Query { t: T } type T @key(fields: "id") { id(x: Int): ID! }'
    assert_fails_like_oracle([("a", a)], oracle, "KEY_FIELDS_HAS_ARGS", "T.id", "arguments")


def test_interface_key_must_be_on_implementations(oracle: Oracle) -> None:
    a = fed2("key") + (
        'type Query { n: N } interface N @key(fields: "id") { id: ID! } type X implements N { id: ID! }'
    )
    assert_fails_like_oracle([("a", a)], oracle, "INTERFACE_KEY_NOT_ON_IMPLEMENTATION", '"N"', '"X"')
