"""Cursor pagination (Relay connection shape): opaque cursors that encode a position, validated on the way in."""

from __future__ import annotations

import base64
import binascii
from typing import TypeVar

import strawberry

from .errors import UserInputError

__all__ = ["MAX_PAGE_SIZE", "PageInfo", "decode_cursor", "encode_cursor", "page_info", "page_size"]

T = TypeVar("T")
MAX_PAGE_SIZE = 5000
_PREFIX = "cursor:"


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
    try:
        raw = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raw = ""
    if not raw.startswith(_PREFIX) or not raw[len(_PREFIX) :].isdigit():
        raise UserInputError(
            f"Malformed cursor {cursor!r}: pass a cursor returned by this API.", argument=argument
        )
    return int(raw[len(_PREFIX) :]) + 1


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
