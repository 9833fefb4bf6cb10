"""@override: the overriding subgraph wins; with a label, the request's enabled labels decide."""

from __future__ import annotations

from .supergraphs import assert_plan, fixture, supergraph_from

SHOP = fixture("shop.apollo")
USED = supergraph_from(
    ["a", "b"],
    """
type Query @join__type(graph: A) @join__type(graph: B) { things: [Thing] @join__field(graph: A) }
type Thing @join__type(graph: A, key: "id") @join__type(graph: B, key: "id") {
  id: ID! @join__field(graph: A, usedOverridden: true) @join__field(graph: B, override: "a")
  name: String @join__field(graph: A)
  price: Int @join__field(graph: B)
}
""",
)


def test_used_overridden_key_field_still_builds_representations() -> None:
    """a lost id to b but still sends it as its key."""
    assert_plan(
        USED,
        "{ things { name price } }",
        """
        Sequence {
          Fetch(a) {things{name __typename id}}
          Flatten(things.@) Fetch(b) {... on Thing {__typename id}} => query($representations:[_Any!]!){_entities(representations:$representations){... on Thing{price}}}
        }
        """,
        depth=2,
        fetches=2,
    )


def test_used_overridden_field_selected_by_the_client_comes_from_the_winner() -> None:
    assert_plan(
        USED,
        "{ things { id name } }",
        """
        Sequence {
          Fetch(a) {things{__typename id name}}
          Flatten(things.@) Fetch(b) {... on Thing {__typename id}} => query($representations:[_Any!]!){_entities(representations:$representations){... on Thing{id}}}
        }
        """,
        depth=2,
        fetches=2,
    )


def test_override_moves_the_field_to_the_new_subgraph() -> None:
    """warehouse moved from products to inventory."""
    assert_plan(
        SHOP,
        "{ topProducts { name warehouse { name } } }",
        """
        Sequence {
          Fetch(products) {topProducts{name __typename upc}}
          Flatten(topProducts.@) Fetch(inventory) {... on Product {__typename upc}} => query($representations:[_Any!]!){_entities(representations:$representations){... on Product{warehouse{name}}}}
        }
        """,
        depth=2,
        fetches=2,
    )


def test_progressive_override_label_disabled_keeps_the_old_subgraph() -> None:
    """rating: products unless percent(50) is enabled."""
    assert_plan(
        SHOP,
        "{ topReviews { body rating } }",
        """
        Sequence {
          Fetch(reviews) {topReviews{body __typename id}}
          Flatten(topReviews.@) Fetch(products) {... on Review {__typename id}} => query($representations:[_Any!]!){_entities(representations:$representations){... on Review{rating}}}
        }
        """,
        depth=2,
        fetches=2,
    )


def test_progressive_override_label_enabled_uses_the_new_subgraph() -> None:
    assert_plan(
        SHOP,
        "{ topReviews { body rating } }",
        """
        Fetch(reviews) {topReviews{body rating}}
        """,
        depth=1,
        fetches=1,
        labels=frozenset(["percent(50)"]),
    )


ITEMS = supergraph_from(
    ["legacy", "modern"],
    """
type Query @join__type(graph: LEGACY) @join__type(graph: MODERN) { items: [Item!]! @join__field(graph: LEGACY) }
interface Item @join__type(graph: LEGACY) {
  id: ID!
  title: String!
}
type Book implements Item @join__implements(graph: LEGACY, interface: "Item") @join__type(graph: LEGACY, key: "id") @join__type(graph: MODERN, key: "id") {
  id: ID!
  title: String! @join__field(graph: LEGACY, overrideLabel: "v2") @join__field(graph: MODERN, override: "legacy", overrideLabel: "v2")
}
type Pen implements Item @join__implements(graph: LEGACY, interface: "Item") @join__type(graph: LEGACY, key: "id") {
  id: ID!
  title: String!
}
""",
)


def test_interface_field_overridden_on_one_implementation_is_split_by_type() -> None:
    """With v2 enabled Book.title belongs to modern: Item.title cannot be read on the interface from legacy."""
    assert_plan(
        ITEMS,
        "{ items { id title } }",
        """
        Sequence {
          Fetch(legacy) {items{__typename id ... on Book{__typename id} ... on Pen{title}}}
          Flatten(items.@) Fetch(modern) {... on Book {__typename id}} => query($representations:[_Any!]!){_entities(representations:$representations){... on Book{title}}}
        }
        """,
        depth=2,
        fetches=2,
        labels=frozenset({"v2"}),
    )


def test_interface_field_stays_on_the_interface_while_the_label_is_off() -> None:
    assert_plan(
        ITEMS,
        "{ items { id title } }",
        """
        Fetch(legacy) {items{__typename id title}}
        """,
        depth=1,
        fetches=1,
    )
