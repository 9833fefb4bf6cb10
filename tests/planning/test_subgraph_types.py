"""Plans where a subgraph's own field types differ from the supergraph's, and shared value types split between
root fetches (``@join__field(type:)``, ``@join__unionMember``, ``@shareable`` types without ``@key``)."""

from __future__ import annotations

from graphql import parse

from gateway.planning import plan_operation

from .supergraphs import assert_plan, supergraph_from

TYPES = supergraph_from(
    ["search", "catalog"],
    """
type Query @join__type(graph: SEARCH) @join__type(graph: CATALOG) {
  results: [Result!]! @join__field(graph: SEARCH)
  item: Item @join__field(graph: SEARCH) @join__field(graph: CATALOG)
}

union Result @join__type(graph: SEARCH) @join__unionMember(graph: SEARCH, member: "Book")
  @join__unionMember(graph: SEARCH, member: "Movie") = Book | Movie

type Book @join__type(graph: SEARCH, key: "isbn") @join__type(graph: CATALOG, key: "isbn") {
  isbn: ID!
  id: ID @join__field(graph: SEARCH, type: "ID!") @join__field(graph: CATALOG, type: "ID")
  pages: Int @join__field(graph: CATALOG)
}

type Movie @join__type(graph: SEARCH, key: "mid") {
  mid: ID!
  id: ID
}

type Item @join__type(graph: SEARCH) @join__type(graph: CATALOG) {
  name: String! @join__field(graph: SEARCH) @join__field(graph: CATALOG)
  price: Int @join__field(graph: SEARCH)
  stock: Int @join__field(graph: CATALOG)
}
""",
)

ENTITIES = "query($representations:[_Any!]!){_entities(representations:$representations)"


def test_field_whose_subgraph_type_differs_is_aliased_under_a_union() -> None:
    assert_plan(
        TYPES,
        "{ results { ... on Book { id } ... on Movie { id } } }",
        """
        Fetch(search) {results{__typename ... on Book{id__alias_0:id} ... on Movie{id}}}
        """,
        depth=1,
        fetches=1,
    )
    plan = plan_operation(TYPES, parse("{ results { ... on Book { id } ... on Movie { id } } }"), None)
    assert plan.response_aliases == (("id", ("id__alias_0",)),)


def test_paths_below_an_alias_name_the_alias_and_keys_stay_unaliased() -> None:
    assert_plan(
        TYPES,
        "{ results { ... on Book { id pages } } }",
        f"""
        Sequence {{
          Fetch(search) {{results{{__typename ... on Book{{id__alias_0:id __typename isbn}}}}}}
          Flatten(results.@) Fetch(catalog) {{... on Book {{__typename isbn}}}} => {ENTITIES}{{... on Book{{pages}}}}}}
        }}
        """,
        depth=2,
        fetches=2,
    )


def test_no_alias_outside_abstract_positions() -> None:
    plan = plan_operation(TYPES, parse("{ item { name } }"), None)
    assert plan.response_aliases == ()


def test_shared_root_field_of_a_keyless_type_is_split_between_root_fetches() -> None:
    assert_plan(
        TYPES,
        "{ item { name price stock } }",
        """
        Parallel {
          Fetch(catalog) {item{name stock}}
          Fetch(search) {item{price}}
        }
        """,
        depth=1,
        fetches=2,
    )
