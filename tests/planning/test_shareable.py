"""@shareable fields: the planner stays in the subgraph it is already querying."""

from __future__ import annotations

from .supergraphs import assert_plan, fixture, supergraph_from

SHOP = fixture("shop.apollo")
SHARED = supergraph_from(
    ["a", "b"],
    """
type Query @join__type(graph: A) @join__type(graph: B) {
  a: T @join__field(graph: A)
  b: T @join__field(graph: B)
  both: Info @join__field(graph: A) @join__field(graph: B)
}
type T @join__type(graph: A, key: "id") @join__type(graph: B, key: "id") {
  id: ID!
  shared: String @join__field(graph: A) @join__field(graph: B)
  onlyB: Int @join__field(graph: B)
  info: Info
}
type Info { x: Int }
""",
)


def test_shareable_field_taken_from_the_current_subgraph_products() -> None:
    """reviewCount is in products and reviews."""
    assert_plan(
        SHOP,
        "{ topProducts { reviewCount } }",
        """
        Fetch(products) {topProducts{reviewCount}}
        """,
        depth=1,
        fetches=1,
    )


def test_shareable_field_taken_from_the_current_subgraph_reviews() -> None:
    assert_plan(
        SHOP,
        "{ topReviews { product { reviews { id } reviewCount } } }",
        """
        Fetch(reviews) {topReviews{product{reviews{id} reviewCount}}}
        """,
        depth=1,
        fetches=1,
    )


def test_shareable_field_read_in_each_subgraph_it_is_reached_from() -> None:
    assert_plan(
        SHARED,
        "{ a { shared info { x } } b { shared onlyB } }",
        """
        Parallel {
          Fetch(a) {a{shared info{x}}}
          Fetch(b) {b{shared onlyB}}
        }
        """,
        depth=1,
        fetches=2,
    )


def test_shareable_root_field_joins_a_subgraph_already_queried_a() -> None:
    """both is in a and b: a is queried anyway."""
    assert_plan(
        SHARED,
        "{ both { x } a { shared } }",
        """
        Fetch(a) {both{x} a{shared}}
        """,
        depth=1,
        fetches=1,
    )


def test_shareable_root_field_joins_a_subgraph_already_queried_b() -> None:
    assert_plan(
        SHARED,
        "{ b { onlyB } both { x } }",
        """
        Fetch(b) {b{onlyB} both{x}}
        """,
        depth=1,
        fetches=1,
    )


def test_shareable_field_stays_even_after_a_jump() -> None:
    """onlyB jumps to b; shared then comes from a, where the object is."""
    assert_plan(
        SHARED,
        "{ a { shared onlyB } }",
        """
        Sequence {
          Fetch(a) {a{shared __typename id}}
          Flatten(a) Fetch(b) {... on T {__typename id}} => query($representations:[_Any!]!){_entities(representations:$representations){... on T{onlyB}}}
        }
        """,
        depth=2,
        fetches=2,
    )


ME = supergraph_from(
    ["accounts", "reviews", "catalog"],
    """
type Query @join__type(graph: ACCOUNTS) @join__type(graph: REVIEWS) @join__type(graph: CATALOG) {
  me: User @join__field(graph: ACCOUNTS) @join__field(graph: REVIEWS)
}
type User @join__type(graph: ACCOUNTS, key: "id") @join__type(graph: REVIEWS, key: "id") {
  id: ID!
  name: String! @join__field(graph: ACCOUNTS)
  reviews: [Review!]! @join__field(graph: REVIEWS)
}
type Review @join__type(graph: REVIEWS) {
  body: String!
  product: Product!
}
type Product @join__type(graph: REVIEWS, key: "id") @join__type(graph: CATALOG, key: "id") {
  id: ID!
  name: String! @join__field(graph: CATALOG)
}
""",
)


def test_shareable_root_field_goes_where_its_subtree_plans_shallowest() -> None:
    """From accounts the plan would be accounts -> reviews -> catalog; from reviews, 2 levels suffice."""
    assert_plan(
        ME,
        "{ me { name reviews { body product { name } } } }",
        """
        Sequence {
          Fetch(reviews) {me{__typename id reviews{body product{__typename id}}}}
          Parallel {
            Flatten(me) Fetch(accounts) {... on User {__typename id}} => query($representations:[_Any!]!){_entities(representations:$representations){... on User{name}}}
            Flatten(me.reviews.@.product) Fetch(catalog) {... on Product {__typename id}} => query($representations:[_Any!]!){_entities(representations:$representations){... on Product{name}}}
          }
        }
        """,
        depth=2,
        fetches=3,
    )


def test_shareable_root_field_at_equal_depth_keeps_fewer_fetches() -> None:
    assert_plan(
        ME,
        "{ me { name } }",
        """
        Fetch(accounts) {me{name}}
        """,
        depth=1,
        fetches=1,
    )
