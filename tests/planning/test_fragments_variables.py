"""Named and inline fragments, aliases, variables (each fetch declares only the variables it uses)."""

from __future__ import annotations

from .keys_sg import KEYS_SUPERGRAPH as KEYS
from .supergraphs import assert_plan, fixture

SHOP = fixture("shop.apollo")


def test_named_fragments_are_inlined_and_merged() -> None:
    """Fragments spread at several levels; price selected twice merges."""
    assert_plan(
        SHOP,
        "query Top($n: Int = 3) { topProducts(first: $n) { ...P ... on Product { price } } } fragment P on Product { name cheap: price reviews { ...R } } fragment R on Review { body author { ...U } } fragment U on User { name username }",
        """
        Sequence {
          Fetch(products) query Top__products__0($n:Int=3){topProducts(first:$n){name cheap:price __typename upc price}}
          Flatten(topProducts.@) Fetch(reviews) {... on Product {__typename upc}} => query Top__reviews__1($representations:[_Any!]!){_entities(representations:$representations){... on Product{reviews{body author{__typename id username}}}}}
          Flatten(topProducts.@.reviews.@.author) Fetch(accounts) {... on User {__typename id}} => query Top__accounts__2($representations:[_Any!]!){_entities(representations:$representations){... on User{name}}}
        }
        """,
        depth=3,
        fetches=3,
    )


def test_each_fetch_declares_only_its_variables() -> None:
    assert_plan(
        SHOP,
        "query($loc: String, $upc: String!) { product(upc: $upc) { name reviews { author { birthDate(locale: $loc) } } } }",
        """
        Sequence {
          Fetch(products) query($upc:String!){product(upc:$upc){name __typename upc}}
          Flatten(product) Fetch(reviews) {... on Product {__typename upc}} => query($representations:[_Any!]!){_entities(representations:$representations){... on Product{reviews{author{__typename id}}}}}
          Flatten(product.reviews.@.author) Fetch(accounts) {... on User {__typename id}} => query($representations:[_Any!]!,$loc:String){_entities(representations:$representations){... on User{birthDate(locale:$loc)}}}
        }
        """,
        depth=3,
        fetches=3,
    )


def test_same_field_with_different_arguments_under_aliases() -> None:
    assert_plan(
        SHOP,
        '{ me { fr: birthDate(locale: "fr") en: birthDate(locale: "en") reviews { body } } }',
        """
        Sequence {
          Fetch(accounts) {me{fr:birthDate(locale:"fr") en:birthDate(locale:"en") __typename id}}
          Flatten(me) Fetch(reviews) {... on User {__typename id}} => query($representations:[_Any!]!){_entities(representations:$representations){... on User{reviews{body}}}}
        }
        """,
        depth=2,
        fetches=2,
    )


def test_client_alias_colliding_with_a_key_field() -> None:
    """The client calls name 'upc': the planner's key field becomes __fk_upc."""
    assert_plan(
        SHOP,
        "{ topProducts { upc: name reviews { body } } }",
        """
        Sequence {
          Fetch(products) {topProducts{upc:name __typename __fk_upc:upc}}
          Flatten(topProducts.@) Fetch(reviews) {... on Product {__typename __fk_upc:upc}} => query($representations:[_Any!]!){_entities(representations:$representations){... on Product{reviews{body}}}}
        }
        """,
        depth=2,
        fetches=2,
    )


def test_client_alias_colliding_with_a_required_field() -> None:
    """price is required by shippingEstimate; the client uses 'price' for name."""
    assert_plan(
        SHOP,
        "{ topProducts { price: name shippingEstimate } }",
        """
        Sequence {
          Fetch(products) {topProducts{price:name __typename upc __fk_price:price weight}}
          Flatten(topProducts.@) Fetch(inventory) {... on Product {__typename upc __fk_price:price weight}} => query($representations:[_Any!]!){_entities(representations:$representations){... on Product{shippingEstimate}}}
        }
        """,
        depth=2,
        fetches=2,
    )


def test_client_alias_colliding_inside_a_compound_key() -> None:
    """org { id } is the key; the client calls __typename 'id' there."""
    assert_plan(
        KEYS,
        "{ orgThings { org { id: __typename } stock } }",
        """
        Sequence {
          Fetch(a) {orgThings{org{id:__typename __fk_id:id} __typename id}}
          Flatten(orgThings.@) Fetch(b) {... on OrgThing {__typename id org {__fk_id:id}}} => query($representations:[_Any!]!){_entities(representations:$representations){... on OrgThing{stock}}}
        }
        """,
        depth=2,
        fetches=2,
    )


def test_client_alias_colliding_with_the_object_of_a_compound_key() -> None:
    assert_plan(
        KEYS,
        "{ orgThings { org: title stock } }",
        """
        Sequence {
          Fetch(a) {orgThings{org:title __typename id __fk_org:org{id}}}
          Flatten(orgThings.@) Fetch(b) {... on OrgThing {__typename id __fk_org:org {id}}} => query($representations:[_Any!]!){_entities(representations:$representations){... on OrgThing{stock}}}
        }
        """,
        depth=2,
        fetches=2,
    )


def test_typename_anywhere() -> None:
    assert_plan(
        SHOP,
        "{ topReviews { __typename t: __typename author { __typename name } } }",
        """
        Sequence {
          Fetch(reviews) {topReviews{__typename t:__typename author{__typename id}}}
          Flatten(topReviews.@.author) Fetch(accounts) {... on User {__typename id}} => query($representations:[_Any!]!){_entities(representations:$representations){... on User{name}}}
        }
        """,
        depth=2,
        fetches=2,
    )
