"""@override: the overriding subgraph wins; with a label, the request's enabled labels decide."""

from __future__ import annotations

from .supergraphs import assert_plan, fixture

SHOP = fixture("shop.apollo")


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
