"""The local development signing key: generated once per checkout, trusted by ``fedgw up``, used by ``fedgw token``.

A random P-256 key written under the data directory (gitignored, mode 0600), never one derived from a known
seed: a derived key would be the same for everyone and so would let anyone mint tokens for any deployment
that trusted it. The public half is written beside it as a JWKS (``jwks.json``) for the gateway to load.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

__all__ = ["DEV_AUDIENCE", "DEV_ISSUER", "DevKey", "dev_auth_env", "ensure_dev_key"]

DEV_ISSUER = "fedgw-dev"
DEV_AUDIENCE = "fedgw"
_ALGORITHM = "ES256"
_DIR = "dev-jwt"


@dataclass(frozen=True)
class DevKey:
    """The development private key, its ``kid`` (RFC 7638 thumbprint) and the JWKS file with its public half."""

    private_key: ec.EllipticCurvePrivateKey
    kid: str
    jwks_file: Path

    def sign(self, subject: str, scopes: list[str], ttl: float, **extra: Any) -> str:
        """A token for ``subject`` with ``scope`` (space-separated, RFC 8693 4.2), valid ``ttl`` seconds."""
        now = int(time.time())
        payload: dict[str, Any] = {
            "iss": DEV_ISSUER,
            "aud": DEV_AUDIENCE,
            "sub": subject,
            "iat": now,
            "exp": now + int(ttl),
            "jti": uuid.uuid4().hex,
            **extra,
        }
        if scopes:
            payload["scope"] = " ".join(scopes)
        return jwt.encode(payload, self.private_key, algorithm=_ALGORITHM, headers={"kid": self.kid})


def _public_jwk(key: ec.EllipticCurvePrivateKey) -> dict[str, Any]:
    """The public JWK with ``kid`` = its RFC 7638 thumbprint (SHA-256 of the required members, sorted)."""
    jwk: dict[str, Any] = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    members = {name: jwk[name] for name in ("crv", "kty", "x", "y")}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
    kid = jwt.utils.base64url_encode(hashlib.sha256(canonical).digest()).decode()
    return {**members, "kid": kid, "alg": _ALGORITHM, "use": "sig"}


def ensure_dev_key(data_dir: str | Path) -> DevKey:
    """The key under ``data_dir/dev-jwt/``, created on first use; the JWKS file is (re)written from it."""
    folder = Path(data_dir) / _DIR
    folder.mkdir(parents=True, exist_ok=True)
    pem_file = folder / "private.pem"
    if pem_file.exists():
        loaded = serialization.load_pem_private_key(pem_file.read_bytes(), password=None)
        if not isinstance(loaded, ec.EllipticCurvePrivateKey):
            raise ValueError(f"{pem_file} does not hold an EC private key")
        key = loaded
    else:
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        # O_EXCL: two processes starting at once must not each write a different key.
        try:
            fd = os.open(pem_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return ensure_dev_key(data_dir)
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
    jwk = _public_jwk(key)
    jwks_file = folder / "jwks.json"
    text = json.dumps({"keys": [jwk]}, indent=2) + "\n"
    if not jwks_file.exists() or jwks_file.read_text(encoding="utf-8") != text:
        tmp = jwks_file.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(jwks_file)
    return DevKey(key, jwk["kid"], jwks_file)


def dev_auth_env(dev_key: DevKey) -> dict[str, str]:
    """The ``GATEWAY_JWT_*`` variables that make a gateway trust the development key (what ``up`` sets)."""
    return {
        "GATEWAY_JWKS_FILE": str(dev_key.jwks_file),
        "GATEWAY_JWT_ISSUER": DEV_ISSUER,
        "GATEWAY_JWT_AUDIENCE": DEV_AUDIENCE,
        "GATEWAY_JWT_ALGORITHMS": _ALGORITHM,
    }
