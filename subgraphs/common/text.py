"""Text a client sends for storing or matching: checked for length and control characters before SQL sees it.

PostgreSQL refuses NUL characters in text and strings longer than a ``VARCHAR(n)``, each with a driver error; the
client is told instead which argument is wrong and why.
"""

from __future__ import annotations

import re

from .errors import UserInputError

__all__ = ["check_text"]

# Control characters other than tab, line feed and carriage return.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def check_text(value: str, *, argument: str, max_length: int | None = None, label: str | None = None) -> str:
    """``value`` unchanged when it may be stored or matched; else a ``BAD_USER_INPUT`` naming ``argument``."""
    what = label or f"'{argument}'"
    if not isinstance(value, str):
        raise UserInputError(f"{what} must be a string.", argument=argument)
    if _CONTROL.search(value):
        raise UserInputError(f"{what} must not contain a control character.", argument=argument)
    if max_length is not None and len(value) > max_length:
        raise UserInputError(
            f"{what} may have at most {max_length} characters, got {len(value)}.", argument=argument
        )
    return value
