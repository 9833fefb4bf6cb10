"""Reading supergraph SDL (join v0.1-v0.5, @link and @core) into the Supergraph model."""

from __future__ import annotations

import pytest
from graphql import print_schema

from gateway.composition.read_supergraph import SupergraphError, read_supergraph
from gateway.composition.supergraph import Key, TypeKind

from .supergraphs import FIXTURES, fixture, join_v03, supergraph_from

ALL_FIXTURES = sorted(p.stem for p in FIXTURES.glob("*.graphql"))


@pytest.mark.parametrize("name", ALL_FIXTURES)
def test_every_committed_fixture_reads(name: str) -> None:
    sg = fixture(name)
    assert sg.root_types["query"] == "Query"
    assert sg.api_schema.query_type is not None
    for t in sg.types.values():
        assert t.subgraphs, t.name
        for f in t.fields.values():
            for g in f.subgraphs:
                assert g in sg.subgraphs


@pytest.mark.parametrize("composer", ["apollo", "guild", "apollo-v1"])
def test_federation1_supergraph_facts(composer: str) -> None:
    sg = fixture(f"fed1.{composer}")
    product = sg.type("Product")
    assert set(product.subgraphs) == {"products", "inventory", "reviews"}
    assert product.keys("inventory") == [Key("upc")]
    # Key fields are resolvable where the type is extended (the subgraph receives them).
    assert "inventory" in product.fields["upc"].resolvable_in()
    assert product.fields["shippingEstimate"].subgraphs["inventory"].requires == "price weight"
    assert product.fields["name"].resolvable_in() == ["products"]
    author = sg.field("Review", "author").subgraphs["reviews"]
    assert author.provides == "username"
    assert "reviews" not in sg.field("User", "username").resolvable_in()


def test_shop_fixture_override_and_inaccessible() -> None:
    sg = fixture("shop.apollo")
    warehouse = sg.field("Product", "warehouse")
    assert warehouse.resolvable_in() == ["inventory"]
    assert warehouse.subgraphs["inventory"].override == "products"
    rating = sg.field("Review", "rating")
    assert rating.subgraphs["reviews"].override_label == "percent(50)"
    assert rating.subgraphs["products"].override_label == "percent(50)"
    assert sg.field("User", "email").inaccessible
    assert "email" not in sg.api_schema.get_type("User").fields  # type: ignore[union-attr]
    assert "email" in sg.schema.get_type("User").fields  # type: ignore[union-attr]
    assert sg.type("Product").keys("products") == [Key("upc"), Key("sku variation { id }")]
    assert sg.root_types == {"query": "Query", "mutation": "Mutation"}
    assert sg.subgraph_root_types["inventory"] == {"query": "Query"}


@pytest.mark.parametrize("composer", ["apollo", "guild"])
def test_abstract_fixture_facts(composer: str) -> None:
    sg = fixture(f"abstract.{composer}")
    account = sg.type("Account")
    assert account.kind == TypeKind.INTERFACE
    assert account.subgraphs["billing"].is_interface_object
    assert not account.subgraphs["accounts"].is_interface_object
    assert sg.type("Book").implements == {"Media": {"media"}}
    assert sg.type("Feed").union_members == {"Book": {"ratings"}, "Podcast": {"ratings"}}
    # ``@join__field`` without a graph: no subgraph resolves balance on the implementation itself.
    assert sg.field("PersonalAccount", "balance").subgraphs == {}


BODY = """
type Query @join__type(graph: A) @join__type(graph: B) {
  me: User @join__field(graph: A)
  hidden(arg: Int @inaccessible, other: Int): Int @join__field(graph: B)
  secret: Secret @join__field(graph: B) @inaccessible
}
type User @join__type(graph: A, key: "id") @join__type(graph: B, key: "id", resolvable: false) {
  id: ID!
  name: String @join__field(graph: A)
  color: Color
}
type Secret @join__type(graph: B) @inaccessible { x: Int }
enum Color @join__type(graph: A) @join__type(graph: B) {
  RED @join__enumValue(graph: A) @join__enumValue(graph: B)
  BLUE @join__enumValue(graph: A)
  GREEN @inaccessible
}
type Point { x: Int y: Int }
input Filter @join__type(graph: A) { a: Int b: Int @inaccessible }
"""


def test_implicit_facts_made_explicit() -> None:
    sg = supergraph_from(["a", "b"], BODY)
    user = sg.type("User")
    assert user.keys("b") == [Key("id", resolvable=False)]
    # No @join__field: every graph declaring the type resolves the field.
    assert sorted(sg.field("User", "id").resolvable_in()) == ["a", "b"]
    assert sorted(sg.field("User", "color").resolvable_in()) == ["a", "b"]
    # No @join__type: the type belongs to every graph.
    assert sorted(sg.type("Point").subgraphs) == ["a", "b"]
    assert sorted(sg.field("Point", "x").resolvable_in()) == ["a", "b"]
    assert sg.type("Color").enum_values == {"RED": {"a", "b"}, "BLUE": {"a"}, "GREEN": {"a", "b"}}
    assert sg.type("Filter").fields["b"].inaccessible


def test_api_schema_removes_inaccessible_and_spec_directives() -> None:
    sg = supergraph_from(["a", "b"], BODY)
    api = print_schema(sg.api_schema)
    assert "Secret" not in api and "secret" not in api
    assert "GREEN" not in api
    assert "hidden(other: Int): Int" in api
    assert "b: Int" not in api
    assert "inaccessible" not in api and "join__" not in api and "link__" not in api
    full = print_schema(sg.schema)
    assert "Secret" in full and "GREEN" in full and "join__" not in full and "link__" not in full


RENAMED = """
schema
  @link(url: "https://specs.apollo.dev/link/v1.0", as: "ln")
  @ln(url: "https://specs.apollo.dev/join/v0.3", as: "j", for: EXECUTION)
  @ln(url: "https://specs.apollo.dev/inaccessible/v0.2", import: [{name: "@inaccessible", as: "@hidden"}], for: SECURITY)
{ query: RootQuery }

directive @ln(url: String, as: String, for: ln__Purpose, import: [ln__Import]) repeatable on SCHEMA
directive @hidden on FIELD_DEFINITION | OBJECT
directive @j__type(graph: j__Graph!, key: j__FieldSet, extension: Boolean! = false, resolvable: Boolean! = true, isInterfaceObject: Boolean! = false) repeatable on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR
directive @j__field(graph: j__Graph, requires: j__FieldSet, provides: j__FieldSet, type: String, external: Boolean, override: String, usedOverridden: Boolean) repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION
directive @j__graph(name: String!, url: String!) on ENUM_VALUE
directive @lowercase on FIELD
scalar j__FieldSet
scalar ln__Import
enum ln__Purpose { SECURITY EXECUTION }
enum j__Graph { ONE @j__graph(name: "one", url: "http://one") TWO @j__graph(name: "two", url: "http://two") }

type RootQuery @j__type(graph: ONE) @j__type(graph: TWO) {
  a: Int @j__field(graph: ONE)
  b: Int @j__field(graph: TWO) @hidden
}
"""


def test_renamed_link_and_imports() -> None:
    sg = read_supergraph(RENAMED)
    assert set(sg.subgraphs) == {"one", "two"}
    assert sg.root_types == {"query": "RootQuery"}
    assert sg.field("RootQuery", "a").resolvable_in() == ["one"]
    assert sg.field("RootQuery", "b").inaccessible
    api = print_schema(sg.api_schema)
    assert "b: Int" not in api and "hidden" not in api and "j__" not in api
    assert "directive @lowercase on FIELD" in api  # custom executable directives stay usable


@pytest.mark.parametrize(
    ("sdl", "code", "line"),
    [
        ("type Query {", "INVALID_GRAPHQL", 1),
        ("type Query { a: Int }", "MISSING_LINK_SPEC", None),
        (
            join_v03(["a"], "type Query @join__type(graph: NOPE) { a: Int }"),
            "UNKNOWN_GRAPH",
            24,
        ),
        (
            join_v03(
                ["a"],
                'type Query @join__type(graph: A) { a: T } type T @join__type(graph: A, key: "id {") { id: ID }',
            ),
            "INVALID_FIELD_SET",
            24,
        ),
        (
            join_v03(["a"], "type Query { a: Int }").replace("join/v0.4", "join/v0.9"),
            "UNSUPPORTED_JOIN_VERSION",
            4,
        ),
        (
            join_v03(["a"], "type Query { a: Int }").replace(
                "{\n  query", '@link(url: "https://example.com/authz/v1.0", for: SECURITY)\n{\n  query'
            ),
            "UNSUPPORTED_LINKED_FEATURE",
            6,
        ),
        (
            join_v03(["a"], "type Query { a: Int }").replace(
                '@link(url: "https://specs.apollo.dev/join/v0.4", for: EXECUTION)', ""
            ),
            "MISSING_JOIN_SPEC",
            None,
        ),
        (join_v03(["a"], "type Query { a: Missing }"), "INVALID_SUPERGRAPH", None),
    ],
)
def test_invalid_supergraphs_raise_coded_errors(sdl: str, code: str, line: int | None) -> None:
    with pytest.raises(SupergraphError) as info:
        read_supergraph(sdl)
    assert info.value.code == code
    if line is not None:
        assert info.value.location is not None and info.value.location[0] == line


JOIN_V05 = """
schema
  @link(url: "https://specs.apollo.dev/link/v1.0")
  @link(url: "https://specs.apollo.dev/join/v0.5", for: EXECUTION)
  @link(url: "https://specs.apollo.dev/context/v0.1", for: SECURITY)
  @join__directive(graphs: [A], name: "link", args: {url: "https://example.com/custom/v1.0"})
{ query: Query }

directive @context(name: String!) repeatable on INTERFACE | OBJECT | UNION
directive @join__directive(graphs: [join__Graph!], name: String!, args: join__DirectiveArguments) repeatable on SCHEMA | OBJECT | INTERFACE | FIELD_DEFINITION
directive @join__enumValue(graph: join__Graph!) repeatable on ENUM_VALUE
directive @join__field(graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet, type: String, external: Boolean, override: String, usedOverridden: Boolean, overrideLabel: String, contextArguments: [join__ContextArgument!]) repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION
directive @join__graph(name: String!, url: String!) on ENUM_VALUE
directive @join__implements(graph: join__Graph!, interface: String!) repeatable on OBJECT | INTERFACE
directive @join__type(graph: join__Graph!, key: join__FieldSet, extension: Boolean! = false, resolvable: Boolean! = true, isInterfaceObject: Boolean! = false) repeatable on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR
directive @join__unionMember(graph: join__Graph!, member: String!) repeatable on UNION
directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) repeatable on SCHEMA

input join__ContextArgument { name: String! type: String! context: String! selection: join__FieldValue! }
scalar join__DirectiveArguments
scalar join__FieldSet
scalar join__FieldValue
enum join__Graph { A @join__graph(name: "a", url: "http://a") B @join__graph(name: "b", url: "http://b") }
scalar link__Import
enum link__Purpose { SECURITY EXECUTION }
scalar context__ContextFieldValue

type Query @join__type(graph: A) @join__type(graph: B) {
  parent: Parent @join__field(graph: A)
}

type Parent @join__type(graph: A, key: "id") @join__type(graph: B, key: "id") @context(name: "B__ctx")
  @join__directive(graphs: [A], name: "custom", args: {x: 1})
{
  id: ID!
  prefix: String @join__field(graph: A)
  child: Child @join__field(graph: B)
}

type Child @join__type(graph: B, key: "id") {
  id: ID!
  label: String @join__field(graph: B, contextArguments: [{context: "B__ctx", name: "prefix", type: "String", selection: "{ prefix }"}])
}
"""


def test_join_v05_directives_and_context_arguments_are_read() -> None:
    sg = read_supergraph(JOIN_V05)
    assert sg.field("Child", "label").resolvable_in() == ["b"]
    assert sg.field("Parent", "child").resolvable_in() == ["b"]
    api = print_schema(sg.api_schema)
    full = print_schema(sg.schema)
    for text in (api, full):
        assert "join__" not in text and "link__" not in text
    assert "context" not in api
    assert "label: String" in api
