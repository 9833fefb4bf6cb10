"""@requires: the required fields are fetched first and sent in the representation."""

from __future__ import annotations

from .supergraphs import assert_plan, fixture, supergraph_from

SHOP = fixture("shop.apollo")
FED1 = fixture("fed1.apollo-v1")
SELF = supergraph_from(
    ["orders", "products"],
    """
type Query @join__type(graph: ORDERS) @join__type(graph: PRODUCTS) {
  orders: [Order] @join__field(graph: ORDERS)
}
type Order @join__type(graph: ORDERS, key: "id") {
  id: ID!
  product: Product
}
type Product @join__type(graph: ORDERS, key: "id") @join__type(graph: PRODUCTS, key: "id") {
  id: ID!
  name: String @join__field(graph: PRODUCTS)
  weight: Int @join__field(graph: ORDERS, external: true) @join__field(graph: PRODUCTS)
  timesOrdered: Int @join__field(graph: ORDERS)
  shippingCost: Int @join__field(graph: ORDERS, requires: "weight")
}
""",
)

SPREAD = supergraph_from(
    ["a", "b", "c", "d"],
    """
type Query @join__type(graph: A) @join__type(graph: B) @join__type(graph: C) @join__type(graph: D) {
  items: [Item] @join__field(graph: A)
}
type Item @join__type(graph: A, key: "id") @join__type(graph: B, key: "id") @join__type(graph: C, key: "id") @join__type(graph: D, key: "id") {
  id: ID!
  name: String @join__field(graph: A)
  weight: Int @join__field(graph: B) @join__field(graph: D, external: true)
  price: Int @join__field(graph: C) @join__field(graph: D, external: true)
  shipping: Int @join__field(graph: D, requires: "weight price")
}
""",
)


def test_required_fields_come_from_the_parent_fetch() -> None:
    """products resolves price and weight: they join its fetch and the representation."""
    assert_plan(
        SHOP,
        "{ topProducts { name inStock shippingEstimate } }",
        """
        Sequence {
          Fetch(products) {topProducts{name __typename upc price weight}}
          Flatten(topProducts.@) Fetch(inventory) {... on Product {__typename upc price weight}} => query($representations:[_Any!]!){_entities(representations:$representations){... on Product{inStock shippingEstimate}}}
        }
        """,
        depth=2,
        fetches=2,
    )


def test_required_fields_fetched_by_an_earlier_entity_fetch() -> None:
    """From reviews, price/weight need a products fetch before inventory."""
    assert_plan(
        SHOP,
        "{ topReviews { product { shippingEstimate } } }",
        """
        Sequence {
          Fetch(reviews) {topReviews{product{__typename upc}}}
          Flatten(topReviews.@.product) Fetch(products) {... on Product {__typename upc}} => query($representations:[_Any!]!){_entities(representations:$representations){... on Product{price weight}}}
          Flatten(topReviews.@.product) Fetch(inventory) {... on Product {__typename upc price weight}} => query($representations:[_Any!]!){_entities(representations:$representations){... on Product{shippingEstimate}}}
        }
        """,
        depth=3,
        fetches=3,
    )


def test_requires_and_other_fields_merge_into_one_fetch() -> None:
    """The client's own price selection and the requirement share one field."""
    assert_plan(
        SHOP,
        "{ topReviews { product { name price shippingEstimate } } }",
        """
        Sequence {
          Fetch(reviews) {topReviews{product{__typename upc}}}
          Flatten(topReviews.@.product) Fetch(products) {... on Product {__typename upc}} => query($representations:[_Any!]!){_entities(representations:$representations){... on Product{name price weight}}}
          Flatten(topReviews.@.product) Fetch(inventory) {... on Product {__typename upc price weight}} => query($representations:[_Any!]!){_entities(representations:$representations){... on Product{shippingEstimate}}}
        }
        """,
        depth=3,
        fetches=3,
    )


def test_requires_in_the_subgraph_already_queried_needs_an_entity_fetch_back() -> None:
    """orders resolves shippingCost only through _entities, once products gave weight."""
    assert_plan(
        SELF,
        "{ orders { product { timesOrdered shippingCost name } } }",
        """
        Sequence {
          Fetch(orders) {orders{product{timesOrdered __typename id}}}
          Flatten(orders.@.product) Fetch(products) {... on Product {__typename id}} => query($representations:[_Any!]!){_entities(representations:$representations){... on Product{weight name}}}
          Flatten(orders.@.product) Fetch(orders) {... on Product {__typename id weight}} => query($representations:[_Any!]!){_entities(representations:$representations){... on Product{shippingCost}}}
        }
        """,
        depth=3,
        fetches=3,
    )


def test_required_fields_from_two_subgraphs_are_fetched_in_parallel_first() -> None:
    """d waits for both b and c: the plan runs in levels."""
    assert_plan(
        SPREAD,
        "{ items { name shipping } }",
        """
        Sequence {
          Fetch(a) {items{name __typename id}}
          Parallel {
            Flatten(items.@) Fetch(b) {... on Item {__typename id}} => query($representations:[_Any!]!){_entities(representations:$representations){... on Item{weight}}}
            Flatten(items.@) Fetch(c) {... on Item {__typename id}} => query($representations:[_Any!]!){_entities(representations:$representations){... on Item{price}}}
          }
          Flatten(items.@) Fetch(d) {... on Item {__typename id weight price}} => query($representations:[_Any!]!){_entities(representations:$representations){... on Item{shipping}}}
        }
        """,
        depth=3,
        fetches=4,
    )


def test_fetch_nothing_waits_for_joins_a_later_fetch_to_the_same_place() -> None:
    """inStock needs no requirement but joins the later inventory fetch: same depth, one fetch fewer."""
    assert_plan(
        SHOP,
        "{ topReviews { product { inStock shippingEstimate } } }",
        """
        Sequence {
          Fetch(reviews) {topReviews{product{__typename upc}}}
          Flatten(topReviews.@.product) Fetch(products) {... on Product {__typename upc}} => query($representations:[_Any!]!){_entities(representations:$representations){... on Product{price weight}}}
          Flatten(topReviews.@.product) Fetch(inventory) {... on Product {__typename upc price weight}} => query($representations:[_Any!]!){_entities(representations:$representations){... on Product{shippingEstimate inStock}}}
        }
        """,
        depth=3,
        fetches=3,
    )


def test_federation1_requires() -> None:
    assert_plan(
        FED1,
        "{ topProducts { shippingEstimate } }",
        """
        Sequence {
          Fetch(products) {topProducts{__typename upc price weight}}
          Flatten(topProducts.@) Fetch(inventory) {... on Product {__typename upc price weight}} => query($representations:[_Any!]!){_entities(representations:$representations){... on Product{shippingEstimate}}}
        }
        """,
        depth=2,
        fetches=2,
    )


ARGS = supergraph_from(
    ["products", "shipping", "inventory", "insurance"],
    """
type Query @join__type(graph: PRODUCTS) @join__type(graph: SHIPPING) @join__type(graph: INVENTORY) @join__type(graph: INSURANCE) {
  products: [Product!]! @join__field(graph: PRODUCTS)
}
type Product @join__type(graph: PRODUCTS, key: "id") @join__type(graph: SHIPPING, key: "id") @join__type(graph: INVENTORY, key: "id") @join__type(graph: INSURANCE, key: "id") {
  id: ID!
  name: String! @join__field(graph: PRODUCTS)
  price: Int! @join__field(graph: PRODUCTS) @join__field(graph: SHIPPING, external: true)
  weight(unit: String = "g"): Int! @join__field(graph: PRODUCTS) @join__field(graph: SHIPPING, external: true)
  packedWeight: Int! @join__field(graph: INVENTORY) @join__field(graph: SHIPPING, external: true)
  costPerKg: Int! @join__field(graph: SHIPPING, requires: "weight(unit: \\"kg\\")")
  costPerGram: Int! @join__field(graph: SHIPPING, requires: "weight(unit: \\"g\\")")
  estimate: Int! @join__field(graph: SHIPPING, requires: "price packedWeight") @join__field(graph: INSURANCE, external: true)
  premium: Int! @join__field(graph: INSURANCE, requires: "estimate")
}
""",
)


def test_required_field_keeps_its_arguments() -> None:
    """weight(unit: "kg") is fetched with its argument, under an alias of its own, and travels as weight."""
    assert_plan(
        ARGS,
        "{ products { costPerKg } }",
        """
        Sequence {
          Fetch(products) {products{__typename id __fk_weight__1:weight(unit:"kg")}}
          Flatten(products.@) Fetch(shipping) {... on Product {__typename id __fk_weight__1:weight}} => query($representations:[_Any!]!){_entities(representations:$representations){... on Product{costPerKg}}}
        }
        """,
        depth=2,
        fetches=2,
    )


def test_required_field_the_client_selects_too_is_shared() -> None:
    assert_plan(
        ARGS,
        '{ products { weight(unit: "kg") costPerKg } }',
        """
        Sequence {
          Fetch(products) {products{weight(unit:"kg") __typename id}}
          Flatten(products.@) Fetch(shipping) {... on Product {__typename id weight}} => query($representations:[_Any!]!){_entities(representations:$representations){... on Product{costPerKg}}}
        }
        """,
        depth=2,
        fetches=2,
    )


def test_required_field_with_other_arguments_than_the_clients_is_aliased() -> None:
    """The client's weight has other arguments: the requirement reads its own alias."""
    assert_plan(
        ARGS,
        '{ products { weight(unit: "lb") costPerKg } }',
        """
        Sequence {
          Fetch(products) {products{weight(unit:"lb") __typename id __fk_weight__1:weight(unit:"kg")}}
          Flatten(products.@) Fetch(shipping) {... on Product {__typename id __fk_weight__1:weight}} => query($representations:[_Any!]!){_entities(representations:$representations){... on Product{costPerKg}}}
        }
        """,
        depth=2,
        fetches=2,
    )


def test_requirements_reading_one_field_with_different_arguments_use_separate_fetches() -> None:
    """One representation cannot carry weight twice: two shipping fetches, in parallel."""
    assert_plan(
        ARGS,
        "{ products { costPerKg costPerGram } }",
        """
        Sequence {
          Fetch(products) {products{__typename id __fk_weight__1:weight(unit:"kg") __fk_weight__2:weight(unit:"g")}}
          Parallel {
            Flatten(products.@) Fetch(shipping) {... on Product {__typename id __fk_weight__1:weight}} => query($representations:[_Any!]!){_entities(representations:$representations){... on Product{costPerKg}}}
            Flatten(products.@) Fetch(shipping) {... on Product {__typename id __fk_weight__2:weight}} => query($representations:[_Any!]!){_entities(representations:$representations){... on Product{costPerGram}}}
          }
        }
        """,
        depth=2,
        fetches=3,
    )


def test_requirement_computed_by_another_requirement() -> None:
    """premium needs estimate, which shipping computes from price (products) and packedWeight (inventory)."""
    assert_plan(
        ARGS,
        "{ products { name premium } }",
        """
        Sequence {
          Fetch(products) {products{name __typename id price}}
          Flatten(products.@) Fetch(inventory) {... on Product {__typename id}} => query($representations:[_Any!]!){_entities(representations:$representations){... on Product{packedWeight}}}
          Flatten(products.@) Fetch(shipping) {... on Product {__typename id price packedWeight}} => query($representations:[_Any!]!){_entities(representations:$representations){... on Product{estimate}}}
          Flatten(products.@) Fetch(insurance) {... on Product {__typename id estimate}} => query($representations:[_Any!]!){_entities(representations:$representations){... on Product{premium}}}
        }
        """,
        depth=4,
        fetches=4,
    )
