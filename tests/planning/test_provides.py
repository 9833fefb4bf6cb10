"""@provides: fields provided on a path are fetched with it, without a jump."""

from __future__ import annotations

from .supergraphs import assert_plan, fixture, supergraph_from

SHOP = fixture("shop.apollo")
FED1 = fixture("fed1.apollo-v1")
PATHS = supergraph_from(
    ["accounts", "reviews"],
    """
type Query @join__type(graph: ACCOUNTS) @join__type(graph: REVIEWS) {
  topReviews: [Review] @join__field(graph: REVIEWS)
}
type Review @join__type(graph: REVIEWS, key: "id") {
  id: ID!
  author: User @join__field(graph: REVIEWS, provides: "name")
  editor: User @join__field(graph: REVIEWS)
}
type User @join__type(graph: ACCOUNTS, key: "id") @join__type(graph: REVIEWS, key: "id") {
  id: ID!
  name: String @join__field(graph: ACCOUNTS) @join__field(graph: REVIEWS, external: true)
}
""",
)


def test_provided_field_needs_no_jump() -> None:
    """reviews provides User.username on Review.author."""
    assert_plan(
        SHOP,
        "{ topReviews { author { username } } }",
        """
        Fetch(reviews) {topReviews{author{username}}}
        """,
        depth=1,
        fetches=1,
    )


def test_only_provided_fields_avoid_the_jump() -> None:
    """name is not provided: one jump for it, username still from reviews."""
    assert_plan(
        SHOP,
        "{ topReviews { author { username name } } }",
        """
        Sequence {
          Fetch(reviews) {topReviews{author{username __typename id}}}
          Flatten(topReviews.@.author) Fetch(accounts) {... on User {__typename id}} => query($representations:[_Any!]!){_entities(representations:$representations){... on User{name}}}
        }
        """,
        depth=2,
        fetches=2,
    )


def test_provides_applies_only_on_its_path() -> None:
    """name is provided on Review.author, not on Review.editor."""
    assert_plan(
        PATHS,
        "{ topReviews { author { name } editor { name } } }",
        """
        Sequence {
          Fetch(reviews) {topReviews{author{name} editor{__typename id}}}
          Flatten(topReviews.@.editor) Fetch(accounts) {... on User {__typename id}} => query($representations:[_Any!]!){_entities(representations:$representations){... on User{name}}}
        }
        """,
        depth=2,
        fetches=2,
    )


def test_provides_on_a_root_subgraph_entity_field() -> None:
    """products provides username on Product.createdBy."""
    assert_plan(
        SHOP,
        "{ topProducts { createdBy { username name } } }",
        """
        Sequence {
          Fetch(products) {topProducts{createdBy{username __typename id}}}
          Flatten(topProducts.@.createdBy) Fetch(accounts) {... on User {__typename id}} => query($representations:[_Any!]!){_entities(representations:$representations){... on User{name}}}
        }
        """,
        depth=2,
        fetches=2,
    )


def test_federation1_provides() -> None:
    assert_plan(
        FED1,
        "{ topReviews { author { username name } } }",
        """
        Sequence {
          Fetch(reviews) {topReviews{author{username __typename id}}}
          Flatten(topReviews.@.author) Fetch(accounts) {... on User {__typename id}} => query($representations:[_Any!]!){_entities(representations:$representations){... on User{name}}}
        }
        """,
        depth=2,
        fetches=2,
    )
