"""The verified claims as a subgraph request header: JSON, so services read them without a JWT library.

Only claims the gateway verified travel this way; the HTTP layer must drop a client's own header of that name
(a client could otherwise claim to be anyone), and no raw client header is forwarded unless allow-listed.
"""

from __future__ import annotations

import json

from gateway.server.auth.authenticator import Claims
from gateway.server.auth.settings import AuthSettings

__all__ = ["claims_header_value", "forwarded_claims_headers"]


def claims_header_value(claims: Claims) -> str:
    """The claims as compact JSON; ASCII-only with control characters escaped, so it is a safe header value."""
    return json.dumps(
        dict(claims.values), ensure_ascii=True, separators=(",", ":"), sort_keys=True, default=str
    )


def forwarded_claims_headers(claims: Claims | None, settings: AuthSettings) -> dict[str, str]:
    """``{settings.claims_header: <json>}`` for an authenticated request, ``{}`` for an anonymous one."""
    if claims is None:
        return {}
    return {settings.claims_header: claims_header_value(claims)}
