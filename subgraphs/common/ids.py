"""Global IDs (``User:12``): unique across services, so one ``node(id:)`` field can answer for every type."""

from __future__ import annotations

from .errors import UserInputError

__all__ = ["decode_id", "encode_id"]


def encode_id(type_name: str, pk: int) -> str:
    return f"{type_name}:{pk}"


def decode_id(type_name: str, value: str, *, argument: str = "id") -> int:
    """The database key inside a global ID of ``type_name``; a malformed or foreign ID is a user error."""
    prefix, _, raw = str(value).partition(":")
    if prefix != type_name or not raw.isdigit():
        raise UserInputError(
            f"Invalid {type_name} ID {value!r}: expected the form '{type_name}:<number>'.", argument=argument
        )
    return int(raw)


def parse_any_id(value: str) -> tuple[str, int] | None:
    """Split a global ID into (type name, key), or None when it is not of the form ``Type:<number>``."""
    prefix, _, raw = str(value).partition(":")
    if not prefix or not raw.isdigit():
        return None
    return prefix, int(raw)
