"""How the gateway verifies JSON Web Tokens (RFC 7519) and forwards their claims to subgraphs."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace

__all__ = ["ASYMMETRIC_ALGORITHMS", "AuthSettings"]

# Only public-key algorithms (RFC 7518 section 3.1): keys come from a JWKS of public keys, and accepting HS*
# would let a client sign with the public key as an HMAC secret (algorithm confusion). ``none`` never.
ASYMMETRIC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.replace(",", " ").split() if part.strip())


@dataclass(frozen=True)
class AuthSettings:
    """Where the keys are and what a valid token must say.

    Exactly one of ``jwks_file`` and ``jwks_url`` names the JSON Web Key Set (RFC 7517 section 5). Keys are
    reloaded every ``refresh_interval`` seconds and when a token names an unknown ``kid``, but at most once per
    ``min_refresh_interval`` so that random key ids cannot flood the key server. ``issuer`` and ``audience``
    are checked when set; ``leeway`` is the clock skew allowed on ``exp``/``nbf``/``iat``. The token is read
    from ``header`` after ``scheme`` (``Authorization: Bearer <token>``; an empty ``scheme`` takes the whole
    value). Verified claims reach subgraphs as JSON in ``claims_header``.
    """

    jwks_file: str | None = None
    jwks_url: str | None = None
    issuer: str | None = None
    audience: tuple[str, ...] = ()
    algorithms: tuple[str, ...] = ("RS256", "ES256")
    leeway: float = 30.0
    header: str = "authorization"
    scheme: str = "Bearer"
    claims_header: str = "x-claims"
    required_claims: tuple[str, ...] = ("exp",)
    refresh_interval: float = 300.0
    min_refresh_interval: float = 30.0
    fetch_timeout: float = 5.0

    def __post_init__(self) -> None:
        if (self.jwks_file is None) == (self.jwks_url is None):
            raise ValueError("Exactly one of jwks_file and jwks_url must be set.")
        if not self.algorithms:
            raise ValueError("The algorithm allow-list is empty.")
        refused = [alg for alg in self.algorithms if alg not in ASYMMETRIC_ALGORITHMS]
        if refused:
            raise ValueError(
                f"Algorithms {refused} are not allowed: only public-key algorithms "
                f"({', '.join(sorted(ASYMMETRIC_ALGORITHMS))}) verify tokens against a JWKS."
            )
        if self.leeway < 0 or self.min_refresh_interval < 0 or self.refresh_interval <= 0:
            raise ValueError("leeway and refresh intervals must not be negative.")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> AuthSettings | None:
        """Settings from ``GATEWAY_JWT_*`` variables, or ``None`` when no key set is configured (auth off)."""
        env = os.environ if environ is None else environ
        jwks_file = env.get("GATEWAY_JWKS_FILE") or None
        jwks_url = env.get("GATEWAY_JWKS_URL") or None
        if jwks_file is None and jwks_url is None:
            return None
        out = cls(jwks_file=jwks_file, jwks_url=jwks_url)
        if "GATEWAY_JWT_ISSUER" in env:
            out = replace(out, issuer=env["GATEWAY_JWT_ISSUER"] or None)
        if "GATEWAY_JWT_AUDIENCE" in env:
            out = replace(out, audience=_split(env["GATEWAY_JWT_AUDIENCE"]))
        if "GATEWAY_JWT_ALGORITHMS" in env:
            out = replace(out, algorithms=_split(env["GATEWAY_JWT_ALGORITHMS"]))
        if "GATEWAY_JWT_LEEWAY" in env:
            out = replace(out, leeway=float(env["GATEWAY_JWT_LEEWAY"]))
        if "GATEWAY_JWT_HEADER" in env:
            out = replace(out, header=env["GATEWAY_JWT_HEADER"].lower())
        if "GATEWAY_JWT_SCHEME" in env:
            out = replace(out, scheme=env["GATEWAY_JWT_SCHEME"])
        if "GATEWAY_CLAIMS_HEADER" in env:
            out = replace(out, claims_header=env["GATEWAY_CLAIMS_HEADER"].lower())
        if "GATEWAY_JWKS_REFRESH_INTERVAL" in env:
            out = replace(out, refresh_interval=float(env["GATEWAY_JWKS_REFRESH_INTERVAL"]))
        return out
