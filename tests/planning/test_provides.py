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


PARTIAL = supergraph_from(
    ["users", "reviews", "catalog"],
    """
type Query @join__type(graph: USERS) @join__type(graph: REVIEWS) @join__type(graph: CATALOG) {
  topReviews: [Review!]! @join__field(graph: REVIEWS)
  shelf: [Media!]! @join__field(graph: REVIEWS, provides: "... on Book { title }")
}
type Review @join__type(graph: REVIEWS) {
  body: String!
  author: User! @join__field(graph: REVIEWS, provides: "name address { city }")
}
type User @join__type(graph: USERS, key: "id") @join__type(graph: REVIEWS, key: "id") {
  id: ID!
  name: String! @join__field(graph: USERS) @join__field(graph: REVIEWS, external: true)
  address: Address! @join__field(graph: USERS) @join__field(graph: REVIEWS, external: true)
}
type Address @join__type(graph: USERS) @join__type(graph: REVIEWS) {
  street: String! @join__field(graph: USERS)
  city: String!
}
interface Media @join__type(graph: CATALOG) @join__type(graph: REVIEWS) {
  id: ID!
  title: String!
}
type Book implements Media @join__implements(graph: CATALOG, interface: "Media") @join__implements(graph: REVIEWS, interface: "Media") @join__type(graph: CATALOG, key: "id") @join__type(graph: REVIEWS, key: "id") {
  id: ID!
  title: String! @join__field(graph: CATALOG) @join__field(graph: REVIEWS, external: true)
}
type Movie implements Media @join__implements(graph: CATALOG, interface: "Media") @join__implements(graph: REVIEWS, interface: "Media") @join__type(graph: CATALOG, key: "id") @join__type(graph: REVIEWS, key: "id") {
  id: ID!
  title: String! @join__field(graph: CATALOG) @join__field(graph: REVIEWS, external: true)
}
""",
)


def test_partly_provided_value_type_is_taken_from_the_entity_owner() -> None:
    """reviews provides address { city } only: street makes the whole address come from users, by User's key."""
    assert_plan(
        PARTIAL,
        "{ topReviews { author { name address { city street } } } }",
        """
        Sequence {
          Fetch(reviews) {topReviews{author{name __typename id}}}
          Flatten(topReviews.@.author) Fetch(users) {... on User {__typename id}} => query($representations:[_Any!]!){_entities(representations:$representations){... on User{address{city street}}}}
        }
        """,
        depth=2,
        fetches=2,
    )


def test_fully_provided_value_type_needs_no_jump() -> None:
    assert_plan(
        PARTIAL,
        "{ topReviews { author { name address { city } } } }",
        """
        Fetch(reviews) {topReviews{author{name address{city}}}}
        """,
        depth=1,
        fetches=1,
    )


def test_provides_with_a_type_condition_applies_to_that_implementation_only() -> None:
    """@provides(fields: "... on Book { title }"): Book.title comes along, Movie.title comes from catalog."""
    assert_plan(
        PARTIAL,
        "{ shelf { id title } }",
        """
        Sequence {
          Fetch(reviews) {shelf{__typename id ... on Book{title} ... on Movie{__typename id}}}
          Flatten(shelf.@) Fetch(catalog) {... on Movie {__typename id}} => query($representations:[_Any!]!){_entities(representations:$representations){... on Movie{title}}}
        }
        """,
        depth=2,
        fetches=2,
    )
