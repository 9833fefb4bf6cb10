"""The products subgraph: ``Product`` (owner; keyed by ``id`` and by ``sku``), catalogue queries, stock."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import Enum

import strawberry
from sqlalchemy import ColumnElement, and_, func, select, update
from sqlalchemy.exc import IntegrityError
from strawberry.federation.schema_directives import Key
from strawberry.types import Info

from subgraphs.common.claims import PRODUCTS_MANAGE, require_scope
from subgraphs.common.errors import CONFLICT, NOT_FOUND, UserInputError
from subgraphs.common.ids import decode_id, encode_id
from subgraphs.common.money import CENT, Currency, Money, money
from subgraphs.common.node import Node
from subgraphs.common.pagination import PageInfo, decode_cursor, encode_cursor, page_info, page_size
from subgraphs.common.schema import SubgraphSchema
from subgraphs.common.text import check_text

from .models import ProductRow

__all__ = ["print_sdl", "schema"]

# Limits that keep every stored number inside its column on both databases, with room for arithmetic.
MAX_STOCK = 1_000_000_000
MAX_AMOUNT = Decimal("1000000000000")


@strawberry.enum(description="Where a product sits in the catalogue.")
class Category(Enum):
    BOOKS = "BOOKS"
    ELECTRONICS = "ELECTRONICS"
    GARDEN = "GARDEN"
    HOME = "HOME"
    TOYS = "TOYS"
    SPORTS = "SPORTS"


@strawberry.federation.type(
    # No description: the owner's shows in the supergraph. The catalogue records who added a product but
    # cannot resolve users.
    keys=[Key(fields="id", resolvable=False)],
)
class User:
    id: strawberry.ID


@strawberry.federation.type(keys=["id", "sku"], tags=["public"], description="Something the shop sells.")
class Product(Node):
    id: strawberry.ID
    sku: str = strawberry.field(description="Stock-keeping unit, unique and stable.")
    name: str
    description: str
    price: Money
    stock: int = strawberry.field(description="Units in the warehouse.")
    available: int = strawberry.field(
        description="Units that can be ordered now: in the warehouse and not held for orders in progress."
    )
    category: Category
    created_at: datetime
    weight_grams: int = strawberry.federation.field(
        inaccessible=True,
        tags=["internal"],
        description="Shipping weight; used by other services (shipping costs), not shown to clients.",
    )
    added_by: User | None = strawberry.field(description="The staff user who added the product.")

    @classmethod
    def from_row(cls, row: ProductRow) -> Product:
        return cls(
            id=strawberry.ID(encode_id("Product", row.id)),
            sku=row.sku,
            name=row.name,
            description=row.description,
            price=money(Decimal(row.price_cents) / 100, row.currency),
            stock=row.stock,
            available=row.stock - (row.reserved or 0),
            category=Category(row.category),
            created_at=row.created_at,
            weight_grams=row.weight_grams,
            added_by=User(id=strawberry.ID(encode_id("User", row.added_by))) if row.added_by else None,
        )

    @classmethod
    async def resolve_reference(
        cls, info: Info, id: strawberry.ID | None = None, sku: str | None = None
    ) -> Product | None:
        loaders = info.context["loaders"]
        if id is not None:
            row = await loaders.product.load(decode_id("Product", id))
        elif sku is not None:
            row = await loaders.product_by_sku.load(check_text(sku, argument="sku", label="A SKU"))
        else:
            raise UserInputError("A Product reference needs an 'id' or a 'sku'.")
        return cls.from_row(row) if row is not None else None


@strawberry.type
class ProductEdge:
    cursor: str
    node: Product


@strawberry.type
class ProductConnection:
    edges: list[ProductEdge]
    page_info: PageInfo
    total_count: int


@strawberry.input(description="Narrows a product list; all given conditions must hold.")
class ProductFilter:
    category: Category | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    in_stock: bool | None = None
    search: str | None = strawberry.field(default=None, description="Case-insensitive match on the name.")


@strawberry.input
class MoneyInput:
    amount: Decimal
    currency: Currency


@strawberry.input
class CreateProductInput:
    sku: str
    name: str
    description: str = ""
    price: MoneyInput
    stock: int = 0
    category: Category
    weight_grams: int
    added_by: strawberry.ID | None = None


def _cents(amount: Decimal, argument: str) -> int:
    try:
        if not 0 <= amount <= MAX_AMOUNT or amount != amount.quantize(CENT):
            raise InvalidOperation
    except InvalidOperation:
        shown = str(amount) if len(str(amount)) <= 40 else f"{str(amount)[:30]}..."
        raise UserInputError(
            f"Invalid amount {shown}: use an amount from 0 to {MAX_AMOUNT} with at most two decimals.",
            argument=argument,
        ) from None
    return int(amount * 100)


def _conditions(f: ProductFilter | None) -> list[ColumnElement[bool]]:
    if f is None:
        return []
    out: list[ColumnElement[bool]] = []
    if f.category is not None:
        out.append(ProductRow.category == f.category.value)
    if f.min_price is not None:
        out.append(ProductRow.price_cents >= _cents(f.min_price, "filter.minPrice"))
    if f.max_price is not None:
        out.append(ProductRow.price_cents <= _cents(f.max_price, "filter.maxPrice"))
    if f.in_stock is not None:
        out.append(ProductRow.stock > 0 if f.in_stock else ProductRow.stock == 0)
    if f.search:
        search = check_text(f.search, argument="filter.search", max_length=200)
        out.append(func.lower(ProductRow.name).contains(search.lower(), autoescape=True))
    return out


@strawberry.type
class Query:
    @strawberry.field(
        description="One product by ID or by SKU (exactly one of them); null when there is none."
    )
    async def product(
        self, info: Info, id: strawberry.ID | None = None, sku: str | None = None
    ) -> Product | None:
        if (id is None) == (sku is None):
            raise UserInputError("Pass exactly one of 'id' and 'sku'.")
        return await Product.resolve_reference(info, id=id, sku=sku)

    @strawberry.field(description="A page of products in catalogue order, optionally filtered.")
    async def products(
        self, info: Info, first: int = 20, after: str | None = None, filter: ProductFilter | None = None
    ) -> ProductConnection:
        limit, offset = page_size(first), decode_cursor(after)
        where = and_(True, *_conditions(filter))
        async with info.context["db"].session() as session:
            total = await session.scalar(select(func.count()).select_from(ProductRow).where(where)) or 0
            stmt = select(ProductRow).where(where).order_by(ProductRow.id).offset(offset).limit(limit)
            rows = (await session.scalars(stmt)).all()
        edges = [
            ProductEdge(cursor=encode_cursor(offset + i), node=Product.from_row(r))
            for i, r in enumerate(rows)
        ]
        return ProductConnection(
            edges=edges, page_info=page_info(offset, len(rows), total), total_count=total
        )


@strawberry.type
class Mutation:
    @strawberry.federation.mutation(
        requires_scopes=[[PRODUCTS_MANAGE]],
        description="Add a product to the catalogue; the SKU must be new.",
    )
    async def create_product(self, info: Info, input: CreateProductInput) -> Product:
        require_scope(info, PRODUCTS_MANAGE)
        check_text(input.sku, argument="input.sku", max_length=40)
        check_text(input.name, argument="input.name", max_length=200)
        check_text(input.description, argument="input.description", max_length=10_000)
        if not input.sku.strip() or not input.name.strip():
            raise UserInputError("A product needs a non-empty 'sku' and 'name'.")
        if not 0 <= input.stock <= MAX_STOCK:
            raise UserInputError(
                f"Stock must be between 0 and {MAX_STOCK}, got {input.stock}.", argument="input.stock"
            )
        if input.weight_grams <= 0:
            raise UserInputError("Weight must be positive.", argument="input.weightGrams")
        row = ProductRow(
            sku=input.sku.strip(),
            name=input.name.strip(),
            description=input.description,
            price_cents=_cents(input.price.amount, "input.price.amount"),
            currency=input.price.currency.value,
            category=input.category.value,
            stock=input.stock,
            weight_grams=input.weight_grams,
            added_by=decode_id("User", input.added_by, argument="input.addedBy") if input.added_by else None,
        )
        async with info.context["db"].session() as session:
            session.add(row)
            try:
                await session.commit()
            except IntegrityError:
                await session.rollback()
                raise UserInputError(
                    f"A product with SKU {row.sku!r} already exists.", code=CONFLICT, argument="input.sku"
                ) from None
        return Product.from_row(row)

    @strawberry.federation.mutation(
        requires_scopes=[[PRODUCTS_MANAGE]],
        description="Add (positive delta) or remove (negative delta) units of stock.",
    )
    async def adjust_stock(self, info: Info, id: strawberry.ID, delta: int) -> Product:
        require_scope(info, PRODUCTS_MANAGE)
        pk = decode_id("Product", id)
        if abs(delta) > MAX_STOCK:
            raise UserInputError(
                f"A stock delta must be between -{MAX_STOCK} and {MAX_STOCK}, got {delta}.", argument="delta"
            )
        async with info.context["db"].session() as session:
            # One conditional UPDATE: concurrent adjustments can never take stock below zero (or past the
            # maximum, which keeps the sum inside PostgreSQL's 32-bit INTEGER).
            result = await session.execute(
                update(ProductRow)
                .where(
                    ProductRow.id == pk,
                    ProductRow.stock + delta >= 0,
                    ProductRow.stock + delta <= MAX_STOCK,
                )
                .values(stock=ProductRow.stock + delta)
            )
            if result.rowcount == 0:  # type: ignore[attr-defined]
                row = await session.get(ProductRow, pk)
                if row is None:
                    raise UserInputError(f"No product with ID {id!r}.", code=NOT_FOUND, argument="id")
                if delta > 0:
                    raise UserInputError(
                        f"Cannot add {delta} units of {row.sku}: stock may be at most {MAX_STOCK}, "
                        f"and {row.stock} are in stock.",
                        argument="delta",
                    )
                raise UserInputError(
                    f"Cannot remove {-delta} units of {row.sku}: only {row.stock} in stock.",
                    code="INSUFFICIENT_STOCK",
                    argument="delta",
                )
            if delta < 0:
                await info.context["stock_low"].taken(session, {pk: -delta})
            await session.commit()
            row = await session.get(ProductRow, pk, populate_existing=True)
            assert row is not None
        return Product.from_row(row)


schema = SubgraphSchema(service="products", query=Query, mutation=Mutation, types=[Product, User])


def print_sdl() -> str:
    """The SDL this service publishes as ``_service { sdl }``."""
    from strawberry.printer import print_schema

    return print_schema(schema)
