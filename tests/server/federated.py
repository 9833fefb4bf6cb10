"""Two Strawberry federation subgraphs behind ``support.SUPERGRAPH_SDL``, served in process.

``products`` owns ``Product.name`` and the old ``rating``/``stock``; ``reviews`` takes ``rating`` over for
``percent(25)`` of requests and ``stock`` for requests with the ``new-stock`` label. Their values differ
(products: stock 1, rating 1; reviews: stock 100 + id, rating 10 + id) so tests see which subgraph answered.
Every request body is recorded per subgraph.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import strawberry
from strawberry.asgi import GraphQL

REQUESTS: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)


@strawberry.federation.type(keys=["id"])
class Product:
    id: strawberry.ID
    name: str | None
    rating: int | None = 1
    stock: int | None = 1

    @classmethod
    def resolve_reference(cls, id: strawberry.ID, **_: Any) -> Product:
        return Product(id=id, name=f"Product {id}")


@strawberry.type
class ProductsQuery:
    @strawberry.field
    def hello(self) -> str:
        return "world"

    @strawberry.field
    def product(self, id: strawberry.ID) -> Product | None:
        return Product(id=id, name=f"Product {id}") if int(id) < 100 else None

    @strawberry.field
    def top_products(self, first: int = 5) -> list[Product]:
        return [Product(id=strawberry.ID(str(i)), name=f"Product {i}") for i in range(1, first + 1)]


@strawberry.type
class ProductsMutation:
    @strawberry.mutation
    def set_hello(self, value: str) -> str:
        return value.upper()


@strawberry.federation.type(keys=["id"], name="Product")
class ReviewedProduct:
    id: strawberry.ID

    @strawberry.field
    def rating(self) -> int:
        return 10 + int(self.id)

    @strawberry.field
    def stock(self) -> int:
        return 100 + int(self.id)

    @classmethod
    def resolve_reference(cls, id: strawberry.ID, **_: Any) -> ReviewedProduct:
        return ReviewedProduct(id=id)


@strawberry.type
class ReviewsQuery:
    @strawberry.field
    def reviews_version(self) -> str:
        return "1"


class RecordingGraphQL(GraphQL):
    def __init__(self, name: str, schema: strawberry.federation.Schema) -> None:
        super().__init__(schema)
        self.name = name

    async def get_context(self, request: Any, response: Any) -> Any:
        REQUESTS[self.name].append(await request.json())
        return await super().get_context(request, response)


def apps() -> dict[str, Any]:
    products = strawberry.federation.Schema(query=ProductsQuery, mutation=ProductsMutation)
    reviews = strawberry.federation.Schema(query=ReviewsQuery, types=[ReviewedProduct])
    return {
        "products": RecordingGraphQL("products", products),
        "reviews": RecordingGraphQL("reviews", reviews),
    }
