"""Authentication at the gateway: bearer JWTs verified against a JWKS, claims forwarded to subgraphs."""

from __future__ import annotations

from gateway.server.auth.authenticator import Claims, JwtAuthenticator, read_token
from gateway.server.auth.errors import UNAUTHENTICATED, AuthError, AuthFailure
from gateway.server.auth.forwarding import claims_header_value, forwarded_claims_headers
from gateway.server.auth.jwks import KeySet, KeySetUnavailable, VerificationKey, parse_jwks
from gateway.server.auth.settings import ASYMMETRIC_ALGORITHMS, AuthSettings

__all__ = [
    "ASYMMETRIC_ALGORITHMS",
    "UNAUTHENTICATED",
    "AuthError",
    "AuthFailure",
    "AuthSettings",
    "Claims",
    "JwtAuthenticator",
    "KeySet",
    "KeySetUnavailable",
    "VerificationKey",
    "claims_header_value",
    "forwarded_claims_headers",
    "parse_jwks",
    "read_token",
]
