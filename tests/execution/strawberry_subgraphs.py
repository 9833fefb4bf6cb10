"""Three small Strawberry federation subgraphs (products, reviews, inventory) and their supergraph SDL.

Served in process through httpx's ASGITransport; every ``_entities`` call is counted so tests can check
batching end to end.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import strawberry
from strawberry.asgi import GraphQL

__all__ = ["CALLS", "SUPERGRAPH_SDL", "apps"]

CALLS: Counter[str] = Counter()

PRODUCTS = {str(i): {"name": f"Product {i}", "price": 100 * i, "weight": i} for i in range(1, 11)}


# products: owns Product's name, price, weight.
@strawberry.federation.type(keys=["upc"])
class Product:
    upc: str
    name: str | None
    price: int
    weight: int | None

    @classmethod
    def resolve_reference(cls, upc: str, **_: Any) -> Product | None:
        CALLS["products.reference"] += 1
        row = PRODUCTS.get(upc)
        return None if row is None else Product(upc=upc, **row)


@strawberry.type
class ProductsQuery:
    @strawberry.field
    def top_products(self, first: int = 5) -> list[Product]:
        CALLS["products.topProducts"] += 1
        return [Product(upc=upc, **row) for upc, row in list(PRODUCTS.items())[:first]]

    @strawberry.field
    def product(self, upc: str) -> Product | None:
        row = PRODUCTS.get(upc)
        return None if row is None else Product(upc=upc, **row)


# reviews: adds Product.reviews.
@strawberry.type
class Review:
    id: strawberry.ID
    body: str


@strawberry.federation.type(keys=["upc"], name="Product")
class ReviewedProduct:
    upc: str

    @strawberry.field
    def reviews(self) -> list[Review]:
        if self.upc == "4":
            raise ValueError("reviews for product 4 are unavailable")
        return [
            Review(id=strawberry.ID(f"{self.upc}-{n}"), body=f"Review {n} of {self.upc}") for n in range(2)
        ]

    @classmethod
    def resolve_reference(cls, upc: str, **_: Any) -> ReviewedProduct:
        CALLS["reviews.reference"] += 1
        return ReviewedProduct(upc=upc)


@strawberry.type
class ReviewsQuery:
    @strawberry.field
    def review_count(self) -> int:
        return 0


# inventory: Product.inStock and Product.shippingEstimate @requires(fields: "weight").
@strawberry.federation.type(keys=["upc"], name="Product")
class StockedProduct:
    upc: str
    weight: int | None = strawberry.federation.field(external=True)

    @strawberry.field
    def in_stock(self) -> bool:
        return int(self.upc) % 2 == 0

    @strawberry.federation.field(requires=["weight"])
    def shipping_estimate(self) -> int | None:
        return None if self.weight is None else self.weight * 10

    @classmethod
    def resolve_reference(cls, upc: str, weight: int | None = None, **_: Any) -> StockedProduct:
        CALLS["inventory.reference"] += 1
        return StockedProduct(upc=upc, weight=weight)


@strawberry.type
class InventoryQuery:
    @strawberry.field
    def warehouse_count(self) -> int:
        return 1


def apps() -> dict[str, Any]:
    """The three subgraphs as ASGI apps, by subgraph name."""
    return {
        "products": GraphQL(strawberry.federation.Schema(query=ProductsQuery)),
        "reviews": GraphQL(strawberry.federation.Schema(query=ReviewsQuery, types=[ReviewedProduct])),
        "inventory": GraphQL(strawberry.federation.Schema(query=InventoryQuery, types=[StockedProduct])),
    }


SUPERGRAPH_SDL = """
schema
  @link(url: "https://specs.apollo.dev/link/v1.0")
  @link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION)
{
  query: Query
}

directive @join__enumValue(graph: join__Graph!) repeatable on ENUM_VALUE
directive @join__field(graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet, type: String, external: Boolean, override: String, usedOverridden: Boolean) repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION
directive @join__graph(name: String!, url: String!) on ENUM_VALUE
directive @join__implements(graph: join__Graph!, interface: String!) repeatable on OBJECT | INTERFACE
directive @join__type(graph: join__Graph!, key: join__FieldSet, extension: Boolean! = false, resolvable: Boolean! = true, isInterfaceObject: Boolean! = false) repeatable on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR
directive @join__unionMember(graph: join__Graph!, member: String!) repeatable on UNION
directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) repeatable on SCHEMA

scalar join__FieldSet
scalar link__Import

enum link__Purpose {
  SECURITY
  EXECUTION
}

enum join__Graph {
  INVENTORY @join__graph(name: "inventory", url: "http://inventory/graphql")
  PRODUCTS @join__graph(name: "products", url: "http://products/graphql")
  REVIEWS @join__graph(name: "reviews", url: "http://reviews/graphql")
}

type Query
  @join__type(graph: INVENTORY)
  @join__type(graph: PRODUCTS)
  @join__type(graph: REVIEWS)
{
  topProducts(first: Int! = 5): [Product!]! @join__field(graph: PRODUCTS)
  product(upc: String!): Product @join__field(graph: PRODUCTS)
  reviewCount: Int! @join__field(graph: REVIEWS)
  warehouseCount: Int! @join__field(graph: INVENTORY)
}

type Product
  @join__type(graph: INVENTORY, key: "upc")
  @join__type(graph: PRODUCTS, key: "upc")
  @join__type(graph: REVIEWS, key: "upc")
{
  upc: String!
  name: String @join__field(graph: PRODUCTS)
  price: Int! @join__field(graph: PRODUCTS)
  weight: Int @join__field(graph: INVENTORY, external: true) @join__field(graph: PRODUCTS)
  inStock: Boolean! @join__field(graph: INVENTORY)
  shippingEstimate: Int @join__field(graph: INVENTORY, requires: "weight")
  reviews: [Review!]! @join__field(graph: REVIEWS)
}

type Review
  @join__type(graph: REVIEWS)
{
  id: ID!
  body: String!
}
"""
