"""Global IDs (``User:12``): unique across services, so one ``node(id:)`` field can answer for every type.

The number is a database key: a 64-bit integer (BIGINT on PostgreSQL, INTEGER on SQLite), so a larger one names
nothing that could exist and is the client's input error, said before any driver sees it.
"""

from __future__ import annotations

import re

from .errors import UserInputError

__all__ = ["MAX_KEY", "decode_id", "encode_id", "parse_any_id"]

MAX_KEY = 2**63 - 1
# ASCII digits only: str.isdigit() also accepts '²' and other digits int() refuses.
_GLOBAL_ID = re.compile(r"([A-Za-z_][A-Za-z0-9_]*):([0-9]+)", re.ASCII)


def encode_id(type_name: str, pk: int) -> str:
    return f"{type_name}:{pk}"


def _key(digits: str, value: str, argument: str) -> int:
    # Compare lengths first: int() of 100,000 digits is refused by Python itself (and slow before that).
    if len(digits.lstrip("0")) > len(str(MAX_KEY)) or int(digits) > MAX_KEY:
        shown = value if len(value) <= 40 else f"{value[:30]}... ({len(value)} characters)"
        raise UserInputError(
            f"ID {shown!r} is out of range: its number must be at most {MAX_KEY}.", argument=argument
        )
    return int(digits)


def decode_id(type_name: str, value: object, *, argument: str = "id") -> int:
    """The database key inside a global ID of ``type_name``; a malformed, foreign or out-of-range ID is a user error."""
    match = _GLOBAL_ID.fullmatch(value) if isinstance(value, str) else None
    if match is None or match.group(1) != type_name:
        shown = repr(value) if len(repr(value)) <= 60 else f"{repr(value)[:50]}..."
        raise UserInputError(
            f"Invalid {type_name} ID {shown}: expected the form '{type_name}:<number>'.", argument=argument
        )
    return _key(match.group(2), value, argument)  # type: ignore[arg-type]


def parse_any_id(value: object, *, argument: str = "id") -> tuple[str, int] | None:
    """Split a global ID into (type name, key), or None when it is not of the form ``Type:<number>``."""
    match = _GLOBAL_ID.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        return None
    return match.group(1), _key(match.group(2), value, argument)  # type: ignore[arg-type]
