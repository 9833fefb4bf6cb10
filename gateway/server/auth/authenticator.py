"""Bearer-token authentication at the gateway: a JWT (RFC 7519) verified against a JWKS.

Built on PyJWT (with ``cryptography``): a small, long-maintained library whose ``decode`` checks signature,
``exp``/``nbf``/``iat`` with leeway, ``aud`` and ``iss`` in one call and which refuses ``none`` unless asked;
we add what it leaves to the caller, an async key set (``jwks``) and an explicit algorithm allow-list.
PyJWT and cryptography (about 10 MiB of the process's memory) are imported when an authenticator is made, so
a gateway without authentication never loads them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gateway.server.auth.errors import AuthError, AuthFailure
from gateway.server.auth.jwks import KeySet, KeySetUnavailable
from gateway.server.auth.settings import AuthSettings

if TYPE_CHECKING:
    import jwt
    from jwt.types import Options

__all__ = ["Claims", "JwtAuthenticator", "read_token"]

# Larger than any real token; parsing and verifying a bigger one is work an attacker would choose for us.
_MAX_TOKEN_BYTES = 16 * 1024


@dataclass(frozen=True)
class Claims:
    """The verified claims of a token; ``subject`` is ``sub``, ``scopes`` come from ``scope`` or ``scp``."""

    subject: str | None
    scopes: frozenset[str]
    values: Mapping[str, Any] = field(repr=False)

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Claims:
        sub = payload.get("sub")
        raw = payload.get("scope", payload.get("scp"))
        if isinstance(raw, str):
            scopes = frozenset(raw.split())
        elif isinstance(raw, list):
            scopes = frozenset(s for s in raw if isinstance(s, str))
        else:
            scopes = frozenset()
        return cls(sub if isinstance(sub, str) else None, scopes, dict(payload))


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is not None:
        return value
    for key, item in headers.items():  # plain dicts are case-sensitive; HTTP header names are not
        if key.lower() == name:
            return item
    return None


def read_token(headers: Mapping[str, str], settings: AuthSettings) -> str | None:
    """The token in ``settings.header`` after ``settings.scheme``; ``None`` when the header is absent or empty."""
    value = _header(headers, settings.header.lower())
    if value is None or not value.strip():
        return None
    if not settings.scheme:
        return value.strip()
    parts = value.split(None, 1)
    if len(parts) != 2 or parts[0].lower() != settings.scheme.lower():
        raise AuthError(AuthFailure.MALFORMED)
    return parts[1].strip()


def _failure(exc: jwt.PyJWTError) -> AuthFailure:
    import jwt

    if isinstance(exc, jwt.MissingRequiredClaimError):
        return {"aud": AuthFailure.AUDIENCE, "iss": AuthFailure.ISSUER}.get(
            exc.claim, AuthFailure.MISSING_CLAIM
        )
    failures: tuple[tuple[type[jwt.PyJWTError], AuthFailure], ...] = (
        (jwt.ExpiredSignatureError, AuthFailure.EXPIRED),
        (jwt.ImmatureSignatureError, AuthFailure.NOT_YET_VALID),
        (jwt.InvalidIssuedAtError, AuthFailure.NOT_YET_VALID),
        (jwt.InvalidAudienceError, AuthFailure.AUDIENCE),
        (jwt.InvalidIssuerError, AuthFailure.ISSUER),
        (jwt.InvalidSignatureError, AuthFailure.SIGNATURE),
        (jwt.InvalidAlgorithmError, AuthFailure.ALGORITHM),
        (jwt.InvalidKeyError, AuthFailure.ALGORITHM),  # the key's type does not fit the token's algorithm
    )
    for kind, failure in failures:
        if isinstance(exc, kind):
            return failure
    return AuthFailure.MALFORMED


class JwtAuthenticator:
    """``await authenticate(headers)``: the verified ``Claims``, ``None`` (anonymous) or an ``AuthError``."""

    def __init__(self, settings: AuthSettings, keys: KeySet | None = None) -> None:
        import jwt

        self._jwt = jwt
        self.settings = settings
        self._algorithms = frozenset(settings.algorithms)
        self.keys = keys or KeySet(
            algorithms=self._algorithms,
            file=settings.jwks_file,
            url=settings.jwks_url,
            refresh_interval=settings.refresh_interval,
            min_refresh_interval=settings.min_refresh_interval,
            fetch_timeout=settings.fetch_timeout,
        )
        required = list(settings.required_claims)
        required += [
            claim for claim, wanted in (("aud", settings.audience), ("iss", settings.issuer)) if wanted
        ]
        self._options: Options = {"require": required, "verify_aud": bool(settings.audience)}

    async def authenticate(self, headers: Mapping[str, str]) -> Claims | None:
        token = read_token(headers, self.settings)
        if token is None:
            return None
        return await self.verify(token)

    async def verify(self, token: str) -> Claims:
        """The claims of ``token`` once its signature, algorithm, times, issuer and audience are checked."""
        if len(token) > _MAX_TOKEN_BYTES:
            raise AuthError(AuthFailure.MALFORMED)
        jwt = self._jwt
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise AuthError(AuthFailure.MALFORMED) from None
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in self._algorithms:
            raise AuthError(AuthFailure.ALGORITHM)
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise AuthError(AuthFailure.MALFORMED)
        try:
            key = await self.keys.key(kid)
        except KeySetUnavailable:
            raise AuthError(AuthFailure.KEYS_UNAVAILABLE) from None
        if key is None:
            raise AuthError(AuthFailure.UNKNOWN_KEY)
        if not key.fits(alg):
            raise AuthError(AuthFailure.ALGORITHM)
        try:
            payload = jwt.decode(
                token,
                key.key,
                algorithms=[alg],
                audience=list(self.settings.audience) or None,
                issuer=self.settings.issuer,
                leeway=self.settings.leeway,
                options=self._options,
            )
        except jwt.PyJWTError as exc:
            raise AuthError(_failure(exc)) from None
        return Claims.from_payload(payload)
