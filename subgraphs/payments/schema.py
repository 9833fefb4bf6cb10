"""The payments subgraph: ``Payment`` (owner of the entity), ``Order.payment``, ``User.payments``, refunds."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry
from sqlalchemy import func, select
from strawberry.types import Info

from subgraphs.common.claims import ORDERS_MANAGE, require_owner_or, require_scope
from subgraphs.common.errors import NOT_FOUND, UserInputError
from subgraphs.common.ids import decode_id, encode_id
from subgraphs.common.money import Money, money
from subgraphs.common.node import Node
from subgraphs.common.pagination import PageInfo, decode_cursor, encode_cursor, page_info, page_size

from . import states
from .loaders import PaymentPageKey
from .models import PaymentRow
from .refunds import refund_payment
from .staff import require_staff

__all__ = ["print_sdl", "schema"]

MAX_REASON_LENGTH = 200

PaymentState = strawberry.enum(states.PaymentState, description="Where a payment is in its life.")


@strawberry.federation.type(keys=["id"], tags=["public"], description="What was charged for one order.")
class Payment(Node):
    id: strawberry.ID
    amount: Money = strawberry.field(description="What the customer is charged.")
    state: PaymentState  # type: ignore[valid-type]
    provider_reference: str | None = strawberry.field(
        description="The payment provider's identifier of the charge; null until the provider has seen it."
    )
    attempts: int = strawberry.field(description="How many times authorisation was tried.")
    failure_reason: str | None = strawberry.field(description="Why the last attempt failed, if it did.")
    created_at: datetime
    updated_at: datetime
    order_id: strawberry.Private[int]
    user_id: strawberry.Private[int | None]

    @classmethod
    def from_row(cls, row: PaymentRow) -> Payment:
        return cls(
            id=strawberry.ID(encode_id("Payment", row.id)),
            amount=money(Decimal(row.amount_cents) / 100, row.currency),
            state=states.PaymentState(row.state),
            provider_reference=row.provider_reference,
            attempts=row.attempts,
            failure_reason=row.failure_reason,
            created_at=row.created_at,
            updated_at=row.updated_at,
            order_id=row.order_id,
            user_id=row.user_id,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Payment | None:
        row = await info.context["loaders"].payment.load(decode_id("Payment", id))
        return cls.from_row(row) if row is not None else None

    @strawberry.field(description="The order this payment is for.")
    def order(self) -> Order:
        return Order(id=strawberry.ID(encode_id("Order", self.order_id)))


@strawberry.type
class PaymentEdge:
    cursor: str
    node: Payment


@strawberry.type
class PaymentConnection:
    edges: list[PaymentEdge]
    page_info: PageInfo
    total_count: int


def _connection(rows: list[PaymentRow], offset: int, total: int) -> PaymentConnection:
    edges = [
        PaymentEdge(cursor=encode_cursor(offset + i), node=Payment.from_row(r)) for i, r in enumerate(rows)
    ]
    return PaymentConnection(edges=edges, page_info=page_info(offset, len(rows), total), total_count=total)


# An order of the orders service, with its payment. No description here: the owner's shows in the supergraph.
@strawberry.federation.type(keys=["id"])
class Order(Node):
    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Order:
        return cls(id=id)

    @strawberry.field(description="The order's payment; null when none was made.")
    async def payment(self, info: Info) -> Payment | None:
        row = await info.context["loaders"].by_order.load(decode_id("Order", self.id))
        return Payment.from_row(row) if row is not None else None


# A user of the users service, with their payments. No description here: the owner's shows in the supergraph.
@strawberry.federation.type(keys=["id"])
class User(Node):
    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> User:
        return cls(id=id)

    @strawberry.field(description="The user's payments, newest first.")
    async def payments(self, info: Info, first: int = 10, after: str | None = None) -> PaymentConnection:
        require_owner_or(info, self.id, ORDERS_MANAGE, f"the payments of {self.id}")
        key = PaymentPageKey(decode_id("User", self.id), decode_cursor(after), page_size(first))
        page = await info.context["loaders"].user_payments.load(key)
        return _connection(page.rows, key.offset, page.total)


@strawberry.type
class Query:
    @strawberry.field(description="One payment by ID; null when there is none.")
    async def payment(self, info: Info, id: strawberry.ID) -> Payment | None:
        # The customer's and staff's alone, as the order it pays for; a guest's payment is staff's.
        found = await Payment.resolve_reference(info, id)
        if found is not None:
            owner = encode_id("User", found.user_id) if found.user_id is not None else None
            require_owner_or(info, owner, ORDERS_MANAGE, f"payment {found.id}")
        return found

    @strawberry.field(description="A page of payments, newest first, optionally in one state.")
    async def payments(
        self,
        info: Info,
        first: int = 20,
        after: str | None = None,
        state: PaymentState | None = None,  # type: ignore[valid-type]
    ) -> PaymentConnection:
        require_scope(
            info, ORDERS_MANAGE
        )  # every customer's payments: staff's (a customer has User.payments)
        limit, offset = page_size(first), decode_cursor(after)
        where = [PaymentRow.state == state.value] if state is not None else []
        async with info.context["db"].session() as s:
            total = await s.scalar(select(func.count()).select_from(PaymentRow).where(*where)) or 0
            stmt = (
                select(PaymentRow).where(*where).order_by(PaymentRow.created_at.desc(), PaymentRow.id.desc())
            )
            rows = list((await s.scalars(stmt.offset(offset).limit(limit))).all())
        return _connection(rows, offset, total)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Refund a captured payment in full (staff only: send the staff token as a bearer token)."
    )
    async def refund_payment(self, info: Info, id: strawberry.ID, reason: str | None = None) -> Payment:
        require_staff(info.context)
        pk = decode_id("Payment", id)
        if reason is not None and len(reason) > MAX_REASON_LENGTH:
            raise UserInputError(
                f"A refund reason has at most {MAX_REASON_LENGTH} characters, got {len(reason)}.",
                argument="reason",
            )
        row = await refund_payment(info.context, pk, reason)
        if row is None:
            raise UserInputError(f"No payment with ID {id!r}.", code=NOT_FOUND, argument="id")
        return Payment.from_row(row)


schema = strawberry.federation.Schema(
    query=Query, mutation=Mutation, types=[Payment, Order, User], federation_version="2.7"
)


def print_sdl() -> str:
    """The SDL this service publishes as ``_service { sdl }``."""
    from strawberry.printer import print_schema

    return print_schema(schema)


__all__ += ["PaymentState"]
