"""Small Strawberry subgraphs with a subscription, served over real HTTP and WebSocket by uvicorn.

``orders`` owns ``Subscription.orderStatusChanged(orderId:)`` (graphql-transport-ws, Strawberry's own server)
and ``Mutation.setStatus``, which publishes to the subscribers of that order; ``users`` and ``products``
resolve the entities an order references, so each event is hydrated across three subgraphs. ``Board`` counts
the subscriptions the orders subgraph has open, so a test can see its subscription close upstream.
"""

import asyncio
import threading
from collections.abc import AsyncGenerator, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

import strawberry
from fastapi import FastAPI
from strawberry.fastapi import GraphQLRouter
from strawberry.federation import Schema
from strawberry.federation.schema_directives import Key
from strawberry.types import Info

from gateway.composition.compose import SubgraphSource, compose
from gateway.composition.supergraph import Supergraph
from tests.server.live import serve_in_thread


@dataclass
class Board:
    """What the orders subgraph's subscriptions do, readable from the test's thread."""

    active: int = 0
    opened: int = 0
    headers: list[dict[str, str]] = field(default_factory=list)
    queues: dict[str, list["asyncio.Queue[str]"]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def open_for(self, order_id: str) -> int:
        with self.lock:
            return len(self.queues.get(order_id, []))


def orders_schema(board: Board) -> Schema:
    @strawberry.federation.type(keys=[Key(fields="id", resolvable=False)])
    class User:
        id: strawberry.ID

    @strawberry.federation.type(keys=[Key(fields="id", resolvable=False)])
    class Product:
        id: strawberry.ID

    @strawberry.type
    class OrderItem:
        quantity: int
        product: Product

    @strawberry.federation.type(keys=["id"])
    class Order:
        id: strawberry.ID
        status: str
        customer: User
        items: list[OrderItem]
        viewer: str | None = None

        @classmethod
        def resolve_reference(cls, id: strawberry.ID) -> Any:
            return order(id, "PENDING")

    def order(order_id: str, status: str, viewer: str | None = None) -> Order:
        return Order(
            id=strawberry.ID(order_id),
            status=status,
            customer=User(id=strawberry.ID("u1")),
            items=[OrderItem(quantity=2, product=Product(id=strawberry.ID("p1")))],
            viewer=viewer,
        )

    @strawberry.type
    class Query:
        @strawberry.field
        def order(self, id: strawberry.ID) -> Order:
            return order(id, "PENDING")

    @strawberry.type
    class Mutation:
        @strawberry.mutation
        def set_status(self, order_id: strawberry.ID, status: str) -> int:
            with board.lock:
                queues = list(board.queues.get(order_id, []))
            for queue in queues:
                queue.put_nowait(status)
            return len(queues)

    @strawberry.type
    class Subscription:
        @strawberry.subscription
        async def order_status_changed(
            self, info: Info, order_id: strawberry.ID
        ) -> AsyncGenerator[Order, None]:
            request = info.context["request"]
            headers = {k.lower(): v for k, v in request.headers.items()}
            viewer = headers.get("x-claims")
            queue: asyncio.Queue[str] = asyncio.Queue()
            with board.lock:
                board.active += 1
                board.opened += 1
                board.headers.append(headers)
                board.queues.setdefault(order_id, []).append(queue)
            try:
                while True:
                    status = await queue.get()
                    if status == "BOOM":
                        raise RuntimeError("database password is hunter2")
                    yield order(order_id, status, viewer)
                    if status in ("CONFIRMED", "REJECTED"):
                        return
            finally:
                with board.lock:
                    board.active -= 1
                    board.queues[order_id].remove(queue)

    return Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[Order, User, Product],
    )


def users_schema() -> Schema:
    @strawberry.federation.type(keys=["id"])
    class User:
        id: strawberry.ID
        name: str

        @classmethod
        def resolve_reference(cls, id: strawberry.ID) -> Any:
            return User(id=id, name=f"Ada {id}")

    @strawberry.type
    class Query:
        @strawberry.field
        def user(self, id: strawberry.ID) -> User:
            return User(id=id, name=f"Ada {id}")

    return Schema(query=Query, types=[User])


def products_schema() -> Schema:
    @strawberry.federation.type(keys=["id"])
    class Product:
        id: strawberry.ID
        name: str

        @classmethod
        def resolve_reference(cls, id: strawberry.ID) -> Any:
            return Product(id=id, name=f"Widget {id}")

    @strawberry.type
    class Query:
        @strawberry.field
        def product(self, id: strawberry.ID) -> Product:
            return Product(id=id, name=f"Widget {id}")

    return Schema(query=Query, types=[Product])


@dataclass
class LiveSubgraphs:
    urls: dict[str, str]
    sdls: dict[str, str]
    board: Board

    def supergraph(self, extra: dict[str, tuple[str, str]] | None = None) -> Supergraph:
        sources = [SubgraphSource(n, self.urls[n], self.sdls[n]) for n in sorted(self.urls)]
        for name, (url, sdl) in (extra or {}).items():
            sources.append(SubgraphSource(name, url, sdl))
        result = compose(sources)
        assert result.ok, result.errors
        return result.supergraph()


@contextmanager
def live_subgraphs() -> Iterator[LiveSubgraphs]:
    board = Board()
    schemas: dict[str, Any] = {
        "orders": orders_schema(board),
        "users": users_schema(),
        "products": products_schema(),
    }
    with ExitStack() as stack:
        urls = {}
        for name, schema in schemas.items():
            app = FastAPI()
            app.include_router(GraphQLRouter(schema), prefix="/graphql")
            urls[name] = stack.enter_context(serve_in_thread(app)) + "/graphql"
        sdls = {name: schema.as_str() for name, schema in schemas.items()}
        yield LiveSubgraphs(urls, sdls, board)
