"""The users subgraph: ``User`` (owner of the entity), look-ups, a paged list, create and update."""

from __future__ import annotations

import re
from datetime import datetime

import strawberry
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from strawberry.types import Info

from subgraphs.common.claims import ORDERS_MANAGE, USERS_MANAGE, require_owner_or
from subgraphs.common.errors import CONFLICT, NOT_FOUND, UserInputError
from subgraphs.common.ids import decode_id, encode_id
from subgraphs.common.node import Node
from subgraphs.common.pagination import PageInfo, decode_cursor, encode_cursor, page_info, page_size
from subgraphs.common.schema import SubgraphSchema
from subgraphs.common.text import check_text

from .models import UserRow

__all__ = ["print_sdl", "schema"]

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
COUNTRY_RE = re.compile(r"[A-Z]{2}")


@strawberry.type(description="A postal address.")
class Address:
    street: str | None
    city: str | None
    postal_code: str | None
    country: str = strawberry.field(description="ISO 3166-1 alpha-2 country code.")


@strawberry.federation.type(keys=["id"], tags=["public"], description="A registered customer.")
class User(Node):
    id: strawberry.ID
    name: str
    contact_email: strawberry.Private[str]
    created_at: datetime
    postal_address: strawberry.Private[Address]
    last_order_at: datetime | None = strawberry.field(
        description="When the user last placed an order (served by the orders service).",
    )

    # Contact details: signed-in callers only (the gateway filters the rest), and of those only the user
    # themself or staff who ship orders (checked here, from the forwarded claims).
    @strawberry.federation.field(authenticated=True, description="Visible to the user and to staff.")
    def email(self, info: Info) -> str:
        require_owner_or(info, self.id, ORDERS_MANAGE, f"the email of {self.id}")
        return self.contact_email

    @strawberry.federation.field(authenticated=True, description="Visible to the user and to staff.")
    def address(self, info: Info) -> Address:
        require_owner_or(info, self.id, ORDERS_MANAGE, f"the address of {self.id}")
        return self.postal_address

    @classmethod
    def from_row(cls, row: UserRow) -> User:
        return cls(
            id=strawberry.ID(encode_id("User", row.id)),
            name=row.name,
            contact_email=row.email,
            created_at=row.created_at,
            postal_address=Address(
                street=row.street, city=row.city, postal_code=row.postal_code, country=row.country
            ),
            last_order_at=row.last_order_at,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> User | None:
        row = await info.context["loaders"].user.load(decode_id("User", id))
        return cls.from_row(row) if row is not None else None


@strawberry.type
class UserEdge:
    cursor: str
    node: User


@strawberry.type
class UserConnection:
    edges: list[UserEdge]
    page_info: PageInfo
    total_count: int


@strawberry.input(description="A postal address.")
class AddressInput:
    street: str | None = None
    city: str | None = None
    postal_code: str | None = None
    country: str


@strawberry.input
class CreateUserInput:
    name: str
    email: str
    address: AddressInput


@strawberry.input(description="Fields to change; omitted fields stay as they are.")
class UpdateUserInput:
    name: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    address: AddressInput | None = strawberry.UNSET


def _check_name(name: str) -> str:
    name = check_text(name, argument="name", label="A name").strip()
    if not name or len(name) > 200:
        raise UserInputError("A name must have 1 to 200 characters.", argument="name")
    return name


def _check_email(email: str) -> str:
    email = check_text(email, argument="email", label="An email address").strip().lower()
    if not EMAIL_RE.match(email) or len(email) > 320:
        raise UserInputError(f"Invalid email address {email!r}.", argument="email")
    return email


def _apply_address(row: UserRow, address: AddressInput) -> None:
    for name, value, limit in (
        ("street", address.street, 200),
        ("city", address.city, 100),
        ("postalCode", address.postal_code, 20),
    ):
        if value is not None:
            check_text(value, argument=f"address.{name}", max_length=limit)
    if not COUNTRY_RE.fullmatch(address.country):
        raise UserInputError(
            f"Invalid country {address.country!r}: use an ISO 3166-1 alpha-2 code such as 'DE'.",
            argument="address.country",
        )
    row.street, row.city, row.postal_code, row.country = (
        address.street,
        address.city,
        address.postal_code,
        address.country,
    )


@strawberry.type
class Query:
    @strawberry.field(description="One user by ID; null when there is none.")
    async def user(self, info: Info, id: strawberry.ID) -> User | None:
        return await User.resolve_reference(info, id)

    @strawberry.field(description="A page of users, oldest first.")
    async def users(self, info: Info, first: int = 20, after: str | None = None) -> UserConnection:
        limit, offset = page_size(first), decode_cursor(after)
        async with info.context["db"].session() as session:
            total = await session.scalar(select(func.count()).select_from(UserRow)) or 0
            rows = (
                await session.scalars(select(UserRow).order_by(UserRow.id).offset(offset).limit(limit))
            ).all()
        edges = [
            UserEdge(cursor=encode_cursor(offset + i), node=User.from_row(r)) for i, r in enumerate(rows)
        ]
        return UserConnection(edges=edges, page_info=page_info(offset, len(rows), total), total_count=total)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Register a user; the email must be valid and not yet taken.")
    async def create_user(self, info: Info, input: CreateUserInput) -> User:
        row = UserRow(name=_check_name(input.name), email=_check_email(input.email))
        _apply_address(row, input.address)
        return await _save(info, row)

    @strawberry.federation.mutation(authenticated=True, description="Change your own name, email or address.")
    async def update_user(self, info: Info, id: strawberry.ID, input: UpdateUserInput) -> User:
        pk = decode_id("User", id)
        require_owner_or(info, encode_id("User", pk), USERS_MANAGE, f"the account {id!r}")
        async with info.context["db"].session() as session:
            row = await session.get(UserRow, pk)
            if row is None:
                raise UserInputError(f"No user with ID {id!r}.", code=NOT_FOUND, argument="id")
            if input.name is not strawberry.UNSET:
                if input.name is None:
                    raise UserInputError("A name cannot be null.", argument="input.name")
                row.name = _check_name(input.name)
            if input.email is not strawberry.UNSET:
                if input.email is None:
                    raise UserInputError("An email cannot be null.", argument="input.email")
                row.email = _check_email(input.email)
            if input.address is not strawberry.UNSET and input.address is not None:
                _apply_address(row, input.address)
            return await _commit(session, row)


async def _save(info: Info, row: UserRow) -> User:
    async with info.context["db"].session() as session:
        session.add(row)
        return await _commit(session, row)


async def _commit(session, row: UserRow) -> User:  # type: ignore[no-untyped-def]
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise UserInputError(
            f"The email {row.email!r} is already registered.", code=CONFLICT, argument="email"
        ) from None
    return User.from_row(row)


schema = SubgraphSchema(service="users", query=Query, mutation=Mutation, types=[User])


def print_sdl() -> str:
    """The SDL this service publishes as ``_service { sdl }``."""
    from strawberry.printer import print_schema

    return print_schema(schema)
