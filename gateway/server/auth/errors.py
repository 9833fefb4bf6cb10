"""Why a request's credentials were refused, as a value the HTTP layer turns into a 401.

RFC 6750 section 3: a refused bearer token is answered with ``WWW-Authenticate: Bearer error="invalid_token"``.
The GraphQL error carries ``extensions.code`` ``UNAUTHENTICATED`` (Apollo's name) and a stable ``reason``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

__all__ = ["UNAUTHENTICATED", "AuthError", "AuthFailure"]

UNAUTHENTICATED = "UNAUTHENTICATED"


class AuthFailure(StrEnum):
    """What was wrong with the token; clients and logs may branch on it, it names no internals."""

    MALFORMED = "malformed"
    ALGORITHM = "algorithm"
    UNKNOWN_KEY = "unknown_key"
    SIGNATURE = "signature"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    AUDIENCE = "audience"
    ISSUER = "issuer"
    MISSING_CLAIM = "missing_claim"
    KEYS_UNAVAILABLE = "keys_unavailable"


_MESSAGES = {
    AuthFailure.MALFORMED: "The access token is malformed.",
    AuthFailure.ALGORITHM: "The access token is signed with an algorithm this gateway does not accept.",
    AuthFailure.UNKNOWN_KEY: "The access token is signed by a key this gateway does not know.",
    AuthFailure.SIGNATURE: "The access token's signature is invalid.",
    AuthFailure.EXPIRED: "The access token has expired.",
    AuthFailure.NOT_YET_VALID: "The access token is not valid yet.",
    AuthFailure.AUDIENCE: "The access token is not meant for this gateway (audience).",
    AuthFailure.ISSUER: "The access token was issued by an issuer this gateway does not trust.",
    AuthFailure.MISSING_CLAIM: "The access token lacks a required claim.",
    AuthFailure.KEYS_UNAVAILABLE: "The gateway cannot verify access tokens right now.",
}


class AuthError(Exception):
    """A token was presented and refused: HTTP ``status`` (401, or 503 when keys cannot be loaded)."""

    def __init__(self, failure: AuthFailure) -> None:
        super().__init__(_MESSAGES[failure])
        self.failure = failure
        self.message = _MESSAGES[failure]
        self.code = UNAUTHENTICATED
        self.status = 503 if failure is AuthFailure.KEYS_UNAVAILABLE else 401

    def error_dict(self) -> dict[str, Any]:
        """The GraphQL error (GraphQL spec 7.1.2) for the response's ``errors``."""
        return {"message": self.message, "extensions": {"code": self.code, "reason": self.failure.value}}

    def response_headers(self) -> dict[str, str]:
        """``WWW-Authenticate`` as RFC 6750 section 3 asks (a quoted, ASCII description)."""
        if self.status != 401:
            return {}
        return {"WWW-Authenticate": f'Bearer error="invalid_token", error_description="{self.message}"'}
