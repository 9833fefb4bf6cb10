"""The orders subgraph: ``Order`` and its lines, orders of a user, and what orders add to users and products."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

import strawberry
from sqlalchemy import and_, func, select, update
from strawberry.types import Info

from subgraphs.common.claims import (
    ORDERS_MANAGE,
    readable_order,
    require_owner_or,
    require_scope,
    require_signed_in,
)
from subgraphs.common.db import Database
from subgraphs.common.errors import NOT_FOUND, ServiceUnavailableError, UserInputError
from subgraphs.common.events import OrderCancelled, OrderStatusUpdated
from subgraphs.common.ids import decode_id, encode_id, parse_any_id
from subgraphs.common.live import LiveEventsUnavailable
from subgraphs.common.money import Currency, Money, money
from subgraphs.common.node import Node
from subgraphs.common.outbox import DEFAULT_SUBJECT_PREFIX, record
from subgraphs.common.pagination import PageInfo, decode_cursor, encode_cursor, page_info, page_size
from subgraphs.common.schema import SubgraphSchema
from subgraphs.common.text import check_text
from subgraphs.common.types import utcnow

from . import states
from .loaders import Loaders, OrderPageKey
from .models import OrderItemRow, OrderRow, OutboxRow
from .placing import OrderLineInput, place_order
from .saga import correlation_id, move

__all__ = ["print_sdl", "schema"]

MAX_QUANTITY = 1000
MAX_ITEMS = 100
# Line numbers and weights are 32-bit columns elsewhere; larger ones cannot name anything.
MAX_LINE = 2**31 - 1
MAX_WEIGHT_GRAMS = 2**31 - 1


OrderStatus = strawberry.enum(states.OrderStatus, description="Where an order is in its life.")
TRANSITIONS = states.TRANSITIONS


def _pk(value: str, type_name: str) -> int:
    return decode_id(type_name, value)


# A user of the users service, with their orders. No description here: the owner's shows in the supergraph.
@strawberry.federation.type(keys=["id"])
class User(Node):
    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> User:
        # The users service owns which users exist; this service adds fields to the ones it is given.
        _pk(id, "User")
        return cls(id=id)

    @strawberry.federation.field(authenticated=True, description="The user's orders, newest first.")
    async def orders(
        self, info: Info, first: int = 10, after: str | None = None, status: OrderStatus | None = None
    ) -> OrderConnection:
        key = OrderPageKey(
            _pk(self.id, "User"), decode_cursor(after), page_size(first), status.value if status else None
        )
        require_owner_or(info, self.id, ORDERS_MANAGE, f"the orders of {self.id}")
        page = await info.context["loaders"].user_orders.load(key)
        return _connection(page.rows, key.offset, page.total)

    @strawberry.field(description="How many orders the user has placed.")
    async def order_count(self, info: Info) -> int:
        return await info.context["loaders"].order_count.load(_pk(self.id, "User"))

    @strawberry.federation.field(override="users", description="When the user last placed an order.")
    async def last_order_at(self, info: Info) -> datetime | None:
        return await info.context["loaders"].last_order_at.load(_pk(self.id, "User"))


@strawberry.type(description="A customer who checked out without an account.")
class Guest:
    email: str


Customer = Annotated[User | Guest, strawberry.union("Customer", description="Who placed an order.")]


# A product of the products service, as orders see it. No description here: the owner's shows in the supergraph.
@strawberry.federation.type(keys=["id"])
class Product(Node):
    id: strawberry.ID
    sku: str = strawberry.federation.field(external=True)
    # Present only when the gateway sends them in a representation (for ``shippingCost``).
    weight_grams: int = strawberry.federation.field(external=True, default=None)  # type: ignore[assignment]
    price: Money = strawberry.federation.field(external=True, default=None)  # type: ignore[assignment]

    @classmethod
    def resolve_reference(cls, id: strawberry.ID, **fields: Any) -> Product:
        _pk(id, "Product")
        sku, weight, price = fields.get("sku", ""), fields.get("weightGrams"), fields.get("price")
        if not isinstance(sku, str):
            raise UserInputError("A Product representation's 'sku' must be a string.", argument="sku")
        if weight is not None and (type(weight) is not int or not 0 < weight <= MAX_WEIGHT_GRAMS):
            raise UserInputError(
                f"A Product representation's 'weightGrams' must be a whole number from 1 to {MAX_WEIGHT_GRAMS}.",
                argument="weightGrams",
            )
        return cls(id=id, sku=sku, weight_grams=weight, price=_represented_price(price))

    @strawberry.field(description="Units of this product ordered so far, over all orders.")
    async def times_ordered(self, info: Info) -> int:
        return await info.context["loaders"].times_ordered.load(_pk(self.id, "Product"))

    @strawberry.federation.field(
        requires=["weightGrams price { currency }"],
        description="Flat-rate shipping for one unit, by weight, in the product's currency.",
    )
    def shipping_cost(self) -> Money:
        if self.weight_grams is None or self.price is None:
            raise UserInputError(
                "shippingCost needs the product's weightGrams and price in the representation.",
                code="MISSING_REQUIRES",
            )
        return money(shipping_cents(self.weight_grams) / Decimal(100), self.price.currency)


def _represented_price(price: object) -> Money | None:
    """``price { currency }`` as the gateway sends it for ``@requires``; only the currency is needed.

    A gateway may send more of a product than a field requires (the price without its currency, for
    ``timesOrdered``): that is no error, only a currency that is there must be one we know.
    """
    if price is None or (isinstance(price, dict) and price.get("currency") is None):
        return None
    currency = price.get("currency") if isinstance(price, dict) else None
    if currency not in Currency.__members__:
        raise UserInputError(
            f"A Product representation's 'price' needs a currency, one of {', '.join(Currency.__members__)}.",
            argument="price",
        )
    return money(0, currency)


def shipping_cents(weight_grams: int) -> int:
    """Flat 4.90 plus 1.00 per started kilogram."""
    return 490 + 100 * ((weight_grams + 999) // 1000)


@strawberry.federation.type(keys=["order { id } line"], description="One line of an order.")
class OrderItem:
    line: int = strawberry.field(description="1-based position in the order.")
    quantity: int
    unit_price: Money = strawberry.field(description="Price of one unit when the order was placed.")
    order_id: strawberry.Private[int]
    product_id: strawberry.Private[int]
    sku: strawberry.Private[str]

    @strawberry.field
    def subtotal(self) -> Money:
        return money(self.unit_price.amount * self.quantity, self.unit_price.currency)

    @strawberry.federation.field(
        provides=["sku"], description="The product; its SKU is recorded on the line."
    )
    def product(self) -> Product:
        return Product(id=strawberry.ID(encode_id("Product", self.product_id)), sku=self.sku)

    @strawberry.field
    async def order(self, info: Info) -> Order:
        row = await info.context["loaders"].order.load(self.order_id)
        return Order.from_row(row)

    @classmethod
    def from_row(cls, row: OrderItemRow, currency: str) -> OrderItem:
        return cls(
            line=row.line,
            quantity=row.quantity,
            unit_price=money(Decimal(row.unit_price_cents) / 100, currency),
            order_id=row.order_id,
            product_id=row.product_id,
            sku=row.sku,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, order: dict[str, Any], line: int) -> OrderItem | None:
        if not isinstance(order, dict) or "id" not in order:
            raise UserInputError(
                "An OrderItem representation's 'order' must be an object with the order's 'id'.",
                argument="order",
            )
        if type(line) is not int or not 0 < line <= MAX_LINE:
            raise UserInputError(
                f"An OrderItem representation's 'line' must be a whole number from 1 to {MAX_LINE}.",
                argument="line",
            )
        found = await info.context["loaders"].item.load((_pk(order["id"], "Order"), line))
        return cls.from_row(*found) if found is not None else None


@strawberry.federation.type(keys=["id"], tags=["public"], description="An order placed by a user or a guest.")
class Order(Node):
    id: strawberry.ID
    status: OrderStatus
    status_reason: str | None = strawberry.field(
        description="Why the order was rejected or cancelled; null while it is neither."
    )
    placed_at: datetime
    status_changed_at: datetime = strawberry.field(
        description="When the order last changed status; when it was placed, if it never has."
    )
    total: Money
    row_id: strawberry.Private[int]
    user_id: strawberry.Private[int | None]
    guest_email: strawberry.Private[str | None]
    currency: strawberry.Private[str]

    @classmethod
    def from_row(cls, row: OrderRow) -> Order:
        return cls(
            id=strawberry.ID(encode_id("Order", row.id)),
            status=OrderStatus(row.status),
            status_reason=row.status_reason,
            placed_at=row.placed_at,
            status_changed_at=row.updated_at or row.placed_at,
            total=money(Decimal(row.total_cents) / 100, row.currency),
            row_id=row.id,
            user_id=row.user_id,
            guest_email=row.guest_email,
            currency=row.currency,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Order | None:
        row = await info.context["loaders"].order.load(_pk(id, "Order"))
        return cls.from_row(row) if row is not None else None

    @strawberry.field(description="The registered user who placed the order; null for guest orders.")
    def user(self) -> User | None:
        return User(id=strawberry.ID(encode_id("User", self.user_id))) if self.user_id is not None else None

    @strawberry.field(description="Who placed the order: a registered user or a guest.")
    def customer(self) -> Customer:
        if self.user_id is not None:
            return User(id=strawberry.ID(encode_id("User", self.user_id)))
        return Guest(email=self.guest_email or "")

    @strawberry.field
    async def items(self, info: Info) -> list[OrderItem]:
        rows = await info.context["loaders"].items.load(self.row_id)
        return [OrderItem.from_row(r, self.currency) for r in rows]


@strawberry.type
class OrderEdge:
    cursor: str
    node: Order


@strawberry.type
class OrderConnection:
    edges: list[OrderEdge]
    page_info: PageInfo
    total_count: int


def _connection(rows: list[OrderRow], offset: int, total: int) -> OrderConnection:
    edges = [OrderEdge(cursor=encode_cursor(offset + i), node=Order.from_row(r)) for i, r in enumerate(rows)]
    return OrderConnection(edges=edges, page_info=page_info(offset, len(rows), total), total_count=total)


@strawberry.input
class OrderItemInput:
    product_id: strawberry.ID
    quantity: int


@strawberry.input(description="Exactly one of userId and guestEmail says who orders.")
class PlaceOrderInput:
    user_id: strawberry.ID | None = None
    guest_email: str | None = None
    items: list[OrderItemInput]
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="A key the client chooses per order; a retry with the same key returns the same order.",
    )
    payment_token: str | None = strawberry.field(
        default=None, description="The customer's payment method at the payment provider."
    )


@strawberry.type
class Query:
    @strawberry.federation.field(authenticated=True, description="One order by ID; null when there is none.")
    async def order(self, info: Info, id: strawberry.ID) -> Order | None:
        return readable_order(info, await Order.resolve_reference(info, id))

    @strawberry.federation.field(
        authenticated=True, description="A page of orders, newest first, optionally by status or user."
    )
    async def orders(
        self,
        info: Info,
        first: int = 20,
        after: str | None = None,
        status: OrderStatus | None = None,
        user_id: strawberry.ID | None = None,
    ) -> OrderConnection:
        require_owner_or(info, user_id, ORDERS_MANAGE, "the orders of other customers")
        limit, offset = page_size(first), decode_cursor(after)
        where = and_(
            True,
            *([OrderRow.status == status.value] if status else []),
            *([OrderRow.user_id == decode_id("User", user_id, argument="userId")] if user_id else []),
        )
        async with info.context["db"].session() as s:
            total = await s.scalar(select(func.count()).select_from(OrderRow).where(where)) or 0
            stmt = select(OrderRow).where(where).order_by(OrderRow.placed_at.desc(), OrderRow.id.desc())
            rows = list((await s.scalars(stmt.offset(offset).limit(limit))).all())
        return _connection(rows, offset, total)

    @strawberry.field(description="Any object by its global ID ('Order:1', 'User:2', 'Product:3').")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        parsed = parse_any_id(id)
        if parsed is None:
            raise UserInputError(f"Invalid ID {id!r}: expected the form 'Type:<number>'.", argument="id")
        type_name, pk = parsed
        if type_name == "Order":
            # The same rule as order(id:): node is another way to the same order.
            return readable_order(info, await Order.resolve_reference(info, id))
        if type_name in ("User", "Product"):
            # Null, like any other missing node, unless the owning service knows the entity.
            if not await info.context["owners"].exists(type_name, pk):
                return None
            return User(id=id) if type_name == "User" else Product(id=id, sku="")
        raise UserInputError(f"Unknown type {type_name!r} in ID {id!r}.", argument="id")


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Place an order; every product must exist and every quantity be positive."
    )
    async def place_order(self, info: Info, input: PlaceOrderInput) -> Order:
        if (input.user_id is None) == (input.guest_email is None):
            raise UserInputError("Pass exactly one of 'userId' and 'guestEmail'.", argument="input")
        user_pk = decode_id("User", input.user_id, argument="input.userId") if input.user_id else None
        if input.user_id is not None:
            require_owner_or(info, input.user_id, ORDERS_MANAGE, f"ordering for {input.user_id}")
        if not input.items:
            raise UserInputError("An order needs at least one item.", argument="input.items")
        if len(input.items) > MAX_ITEMS:
            raise UserInputError(
                f"An order may have at most {MAX_ITEMS} items, got {len(input.items)}.",
                argument="input.items",
            )
        lines = []
        for i, item in enumerate(input.items):
            if not 0 < item.quantity <= MAX_QUANTITY:
                raise UserInputError(
                    f"Quantity must be between 1 and {MAX_QUANTITY}, got {item.quantity}.",
                    argument=f"input.items[{i}].quantity",
                )
            lines.append(
                OrderLineInput(
                    decode_id("Product", item.product_id, argument=f"input.items[{i}].productId"),
                    item.quantity,
                )
            )
        row = await place_order(
            info.context,
            user_pk,
            input.guest_email,
            lines,
            idempotency_key=input.idempotency_key,
            payment_token=input.payment_token,
        )
        return Order.from_row(row)

    @strawberry.federation.mutation(
        authenticated=True,
        description="Cancel a confirmed order: its stock goes back on sale and its payment is refunded. Only the "
        "customer who placed it, or staff, may.",
    )
    async def cancel_order(self, info: Info, id: strawberry.ID, reason: str | None = None) -> Order:
        require_signed_in(info)
        pk = _pk(id, "Order")
        if reason is not None:
            check_text(reason, argument="reason", max_length=200, label="A reason")
        why = reason or "cancelled by the customer"
        async with info.context["db"].session() as s, s.begin():
            row = (await s.scalars(select(OrderRow).where(OrderRow.id == pk).with_for_update())).one_or_none()
            if row is None:
                raise UserInputError(f"No order with ID {id!r}.", code=NOT_FOUND, argument="id")
            readable_order(info, row)  # the customer who placed it, or staff; guest orders staff's alone
            if row.status != states.OrderStatus.CONFIRMED.value or row.payment_token is None:
                raise UserInputError(
                    f"Only a confirmed order can be cancelled; this one is {row.status}.",
                    code="INVALID_TRANSITION",
                    argument="id",
                )
            move(row, states.OrderStatus.CANCELLED, why)
            record(
                s,
                OutboxRow,
                OrderCancelled(row.id, why),
                correlation_id=correlation_id(row.id),
                subject_prefix=info.context.get("event_subject_prefix", DEFAULT_SUBJECT_PREFIX),
            )
        return Order.from_row(row)

    @strawberry.federation.mutation(
        requires_scopes=[[ORDERS_MANAGE]],
        description="Move an order to a new status; only allowed transitions are accepted.",
    )
    async def update_order_status(self, info: Info, id: strawberry.ID, status: OrderStatus) -> Order:
        require_scope(info, ORDERS_MANAGE)
        pk = _pk(id, "Order")
        async with info.context["db"].session() as s:
            row = await s.get(OrderRow, pk)
            if row is None:
                raise UserInputError(f"No order with ID {id!r}.", code=NOT_FOUND, argument="id")
            current = OrderStatus(row.status)
            if row.payment_token is not None and (
                status in states.SAGA_STATUSES or current is OrderStatus.PENDING
            ):
                # Stock and payment follow these moves: only the saga and cancelOrder make them.
                raise UserInputError(
                    f"The order saga, not a status update, moves this order from {current.value} "
                    f"to {status.value}; "
                    "use cancelOrder to cancel a confirmed order.",
                    code="INVALID_TRANSITION",
                    argument="status",
                )
            if status not in TRANSITIONS[current]:
                allowed = ", ".join(sorted(t.value for t in TRANSITIONS[current])) or "none"
                raise UserInputError(
                    f"An order cannot go from {current.value} to {status.value} (allowed: {allowed}).",
                    code="INVALID_TRANSITION",
                    argument="status",
                )
            # Compare-and-set: a concurrent change between the read and the write is refused, not lost.
            changed_at = utcnow()
            result = await s.execute(
                update(OrderRow)
                .where(OrderRow.id == pk, OrderRow.status == current.value)
                .values(status=status.value, updated_at=changed_at)
            )
            if result.rowcount == 0:  # type: ignore[attr-defined]
                raise UserInputError(
                    "The order changed meanwhile; read it again.", code="CONFLICT", argument="id"
                )
            # Nobody acts on it but the order's watchers (orderStatusChanged), in every replica.
            record(
                s,
                OutboxRow,
                OrderStatusUpdated(pk, status.value),
                correlation_id=correlation_id(pk),
                subject_prefix=info.context.get("event_subject_prefix", DEFAULT_SUBJECT_PREFIX),
            )
            await s.commit()
            row.status, row.updated_at = status.value, changed_at
        return Order.from_row(row)


@strawberry.type
class Subscription:
    @strawberry.federation.field(
        authenticated=True,
        is_subscription=True,
        description="The order now, then again each time its status changes, until a status it cannot leave "
        "(REJECTED, CANCELLED, DELIVERED). Only the customer who placed it, or staff, may watch it.",
    )
    async def order_status_changed(self, info: Info, order_id: strawberry.ID) -> AsyncIterator[Order]:
        # Checked before the stream starts, so a refusal is an error at the field's path, ending the stream.
        pk = decode_id("Order", order_id, argument="orderId")
        row = await _current(info.context["db"], pk)
        if row is None:
            raise UserInputError(f"No order with ID {order_id!r}.", code=NOT_FOUND, argument="orderId")
        readable_order(info, row)
        try:
            await info.context["live"].start()
        except LiveEventsUnavailable:
            raise ServiceUnavailableError(
                "Live order updates are unavailable right now; try again shortly.", service="orders"
            ) from None
        return _order_changes(info, pk)


async def _order_changes(info: Info, pk: int) -> AsyncGenerator[Order, None]:
    # The current state comes first, read once the watch is on: a client that subscribes just after placing
    # the order cannot miss a change made in between, and one that subscribes late learns where it is.
    db = info.context["db"]
    async with info.context["live"].watch(pk) as watch:
        row = await _current(db, pk)
        sent: OrderStatus | None = None
        while row is not None:
            status = OrderStatus(row.status)
            if sent is None or status in states.successors(sent):
                # One connection's context lives as long as the socket: each event reads afresh.
                info.context["loaders"] = Loaders(db)
                yield Order.from_row(row)
                sent = status
                if not TRANSITIONS[status]:
                    return
            await watch.changed()
            row = await _current(db, pk) or row


async def _current(db: Database, pk: int) -> OrderRow | None:
    async with db.session() as s:
        return await s.get(OrderRow, pk)


schema = SubgraphSchema(
    service="orders",
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    types=[User, Product, Order, OrderItem, Guest],
)


def print_sdl() -> str:
    """The SDL this service publishes as ``_service { sdl }``."""
    from strawberry.printer import print_schema

    return print_schema(schema)


__all__ += ["TRANSITIONS", "Currency", "OrderStatus"]
