"""Cursor pagination (Relay connection shape): opaque cursors that encode a position, validated on the way in."""

from __future__ import annotations

import base64
import binascii
import re
from typing import TypeVar

import strawberry

from .errors import UserInputError

__all__ = [
    "MAX_OFFSET",
    "MAX_PAGE_SIZE",
    "PageInfo",
    "decode_cursor",
    "encode_cursor",
    "page_info",
    "page_size",
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
