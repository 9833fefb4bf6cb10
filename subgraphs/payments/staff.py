"""Who may refund: a request that carries the staff token as ``Authorization: Bearer <token>``.

The token is the service's setting (``STAFF_TOKEN``); without one, no request is staff, so refunds are off.
"""

from __future__ import annotations

import hmac
from typing import Any

from subgraphs.common.errors import UserInputError

__all__ = ["FORBIDDEN", "UNAUTHENTICATED", "require_staff"]

FORBIDDEN = "FORBIDDEN"
UNAUTHENTICATED = "UNAUTHENTICATED"


def require_staff(context: dict[str, Any]) -> None:
    """Refuse the request unless it carries the configured staff token."""
    token: str | None = context.get("staff_token")
    request = context.get("request")
    header = request.headers.get("authorization", "") if request is not None else ""
    scheme, _, presented = header.partition(" ")
    if not header or scheme.lower() != "bearer" or not presented:
        raise UserInputError(
            "Refunds are for staff: send the staff token as a bearer token.", code=UNAUTHENTICATED
        )
    # compare_digest: the time taken must not tell how much of a guess was right.
    if not token or not hmac.compare_digest(presented.encode(), token.encode()):
        raise UserInputError("This token may not refund payments.", code=FORBIDDEN)
