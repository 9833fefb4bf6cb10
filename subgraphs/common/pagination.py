"""Cursor pagination (Relay connection shape): opaque cursors that encode a position, validated on the way in,
and the windowed query that pages many owners' lists (each user's orders, each user's payments) at once."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Collection, Sequence
from typing import Any, TypeVar

import strawberry
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from .errors import UserInputError

__all__ = [
    "MAX_OFFSET",
    "MAX_PAGE_SIZE",
    "PageInfo",
    "decode_cursor",
    "encode_cursor",
    "page_info",
    "page_size",
    "pages_by_owner",
]

T = TypeVar("T")
MAX_PAGE_SIZE = 5000
# Far past the end of any list, yet offset + page size stays a 64-bit integer in SQL.
MAX_OFFSET = 2**62
_PREFIX = "cursor:"
_MAX_CURSOR_LENGTH = 64
_POSITION = re.compile(r"cursor:([0-9]{1,19})", re.ASCII)


@strawberry.federation.type(shareable=True, description="Where a page sits in the whole list.")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"{_PREFIX}{offset}".encode()).decode()


def decode_cursor(cursor: str | None, *, argument: str = "after") -> int:
    """The offset just after ``cursor`` (0 without one); anything not made by ``encode_cursor`` is rejected."""
    if cursor is None:
        return 0
    raw = ""
    if len(cursor) <= _MAX_CURSOR_LENGTH:
        try:
            raw = base64.urlsafe_b64decode(cursor.encode()).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError):
            pass
    match = _POSITION.fullmatch(raw)
    if match is None or int(match.group(1)) > MAX_OFFSET:
        shown = cursor if len(cursor) <= 40 else f"{cursor[:30]}... ({len(cursor)} characters)"
        raise UserInputError(
            f"Malformed cursor {shown!r}: pass a cursor returned by this API.", argument=argument
        )
    return int(match.group(1)) + 1


def page_size(first: int, *, argument: str = "first") -> int:
    if first < 0 or first > MAX_PAGE_SIZE:
        raise UserInputError(
            f"'{argument}' must be between 0 and {MAX_PAGE_SIZE}, got {first}.", argument=argument
        )
    return first


def page_info(offset: int, count: int, total: int) -> PageInfo:
    return PageInfo(
        has_next_page=offset + count < total,
        has_previous_page=offset > 0,
        start_cursor=encode_cursor(offset) if count else None,
        end_cursor=encode_cursor(offset + count - 1) if count else None,
    )


async def pages_by_owner(
    session: AsyncSession,
    model: type[T],
    owner: InstrumentedAttribute[int | None],
    order_by: Sequence[ColumnElement[object]],
    owners: Collection[int],
    *,
    offset: int,
    limit: int,
    where: Sequence[ColumnElement[bool]] = (),
) -> dict[int, tuple[list[T], int]]:
    """One page (``offset``, ``limit``, in ``order_by``) of ``model``'s rows per owner, with the owner's total:
    a single windowed query (row_number and count over each owner's partition), and a count for the owners
    whose page is empty (offset past their end), so N owners cost one query, at most two."""
    key: Any = model.id  # type: ignore[attr-defined]
    conditions = [owner.in_(owners), *where]
    position = func.row_number().over(partition_by=owner, order_by=order_by).label("position")
    total = func.count().over(partition_by=owner).label("total")
    inner = select(key, owner, position, total).where(*conditions).subquery()
    stmt = (
        select(model, inner.c.total)
        .join(inner, inner.c.id == key)
        .where(inner.c.position > offset, inner.c.position <= offset + limit)
        .order_by(inner.c[owner.key], inner.c.position)
    )
    pages: dict[int, list[T]] = {o: [] for o in owners}
    totals: dict[int, int] = {}
    for row, n in (await session.execute(stmt)).all():
        owner_id = getattr(row, owner.key)
        pages[owner_id].append(row)
        totals[owner_id] = n
    if missing := set(owners) - totals.keys():
        count_stmt = select(owner, func.count()).where(owner.in_(missing), *where).group_by(owner)
        totals.update({o: n for o, n in (await session.execute(count_stmt)).all()})
    return {o: (pages[o], totals.get(o, 0)) for o in owners}
