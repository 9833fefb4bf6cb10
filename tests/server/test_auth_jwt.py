"""JWT authentication: real RSA/EC keys, a JWKS served over HTTP that rotates, and every way a token fails."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.server.auth import (
    AuthError,
    AuthFailure,
    AuthSettings,
    Claims,
    JwtAuthenticator,
    KeySet,
    forwarded_claims_headers,
)
from tests.server.live import free_port, serve_in_thread

ISSUER = "https://issuer.test/"
AUDIENCE = "fedgw-tests"


@dataclass
class Clock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class SigningKey:
    kid: str
    alg: str
    private: Any
    declare_alg: bool = True

    def jwk(self) -> dict[str, Any]:
        algorithm = (
            jwt.algorithms.RSAAlgorithm if self.alg.startswith(("RS", "PS")) else jwt.algorithms.ECAlgorithm
        )
        out: dict[str, Any] = json.loads(algorithm.to_jwk(self.private.public_key()))
        out.update(kid=self.kid, use="sig")
        if self.declare_alg:
            out["alg"] = self.alg
        return out

    def sign(self, *, alg: str | None = None, kid: str | None = "same", **claims: Any) -> str:
        now = int(time.time())
        payload = {"iss": ISSUER, "aud": AUDIENCE, "sub": "User:1", "iat": now, "exp": now + 300, **claims}
        payload = {k: v for k, v in payload.items() if v is not None}
        chosen = self.kid if kid == "same" else kid
        headers = {"kid": chosen} if chosen is not None else None
        return jwt.encode(payload, self.private, algorithm=alg or self.alg, headers=headers)


def rsa_key(kid: str, **kw: Any) -> SigningKey:
    return SigningKey(kid, "RS256", rsa.generate_private_key(public_exponent=65537, key_size=2048), **kw)


def ec_key(kid: str) -> SigningKey:
    return SigningKey(kid, "ES256", ec.generate_private_key(ec.SECP256R1()))


@dataclass
class JwksServer:
    """A JWKS endpoint whose key list a test changes, counting the fetches it answers."""

    keys: list[SigningKey] = field(default_factory=list)
    fetches: int = 0
    url: str = ""

    def app(self) -> Starlette:
        async def jwks(_: Request) -> Response:
            self.fetches += 1
            return JSONResponse({"keys": [k.jwk() for k in self.keys]})

        return Starlette(routes=[Route("/.well-known/jwks.json", jwks)])


RSA_1 = rsa_key("rsa-1")
EC_1 = ec_key("ec-1")


@pytest.fixture(scope="module")
def jwks_server() -> Iterator[JwksServer]:
    server = JwksServer(keys=[RSA_1, EC_1])
    with serve_in_thread(server.app()) as base:
        server.url = f"{base}/.well-known/jwks.json"
        yield server


def authenticator(server: JwksServer, clock: Clock | None = None, **kw: Any) -> JwtAuthenticator:
    settings = AuthSettings(jwks_url=server.url, issuer=ISSUER, audience=(AUDIENCE,), **kw)
    keys = KeySet(
        algorithms=frozenset(settings.algorithms),
        url=server.url,
        refresh_interval=settings.refresh_interval,
        min_refresh_interval=settings.min_refresh_interval,
        clock=clock or Clock(),
    )
    return JwtAuthenticator(settings, keys)


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def refused(auth: JwtAuthenticator, headers: dict[str, str]) -> AuthError:
    with pytest.raises(AuthError) as caught:
        await auth.authenticate(headers)
    return caught.value


async def test_valid_rsa_and_ec_tokens_give_their_claims(jwks_server: JwksServer) -> None:
    auth = authenticator(jwks_server)
    claims = await auth.authenticate(bearer(RSA_1.sign(scope="orders:manage users:read")))
    assert isinstance(claims, Claims)
    assert claims.subject == "User:1"
    assert claims.scopes == {"orders:manage", "users:read"}
    ec_claims = await auth.authenticate(bearer(EC_1.sign(sub="User:2", scp=["a", "b"])))
    assert ec_claims is not None and ec_claims.subject == "User:2" and ec_claims.scopes == {"a", "b"}


async def test_a_request_without_a_token_is_anonymous(jwks_server: JwksServer) -> None:
    auth = authenticator(jwks_server)
    assert await auth.authenticate({}) is None
    assert await auth.authenticate({"authorization": "   "}) is None
    assert await auth.authenticate({"x-other": "Bearer nonsense"}) is None


async def test_header_name_and_scheme_are_configurable(jwks_server: JwksServer) -> None:
    auth = authenticator(jwks_server, header="x-access-token", scheme="")
    claims = await auth.authenticate({"X-Access-Token": RSA_1.sign()})
    assert claims is not None and claims.subject == "User:1"
    assert await auth.authenticate(bearer(RSA_1.sign())) is None  # the usual header is not read now


@pytest.mark.parametrize("value", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer not-a-jwt", "Bearer a.b.c"])
async def test_malformed_credentials_are_401_with_www_authenticate(
    jwks_server: JwksServer, value: str
) -> None:
    error = await refused(authenticator(jwks_server), {"Authorization": value})
    assert error.failure is AuthFailure.MALFORMED
    assert error.status == 401
    assert error.response_headers()["WWW-Authenticate"].startswith('Bearer error="invalid_token"')
    assert error.error_dict() == {
        "message": "The access token is malformed.",
        "extensions": {"code": "UNAUTHENTICATED", "reason": "malformed"},
    }


async def test_expired_token_is_refused_but_clock_skew_is_allowed(jwks_server: JwksServer) -> None:
    auth = authenticator(jwks_server, leeway=30)
    now = int(time.time())
    error = await refused(auth, bearer(RSA_1.sign(exp=now - 120, iat=now - 400)))
    assert error.failure is AuthFailure.EXPIRED
    assert await auth.authenticate(bearer(RSA_1.sign(exp=now - 10, iat=now - 400))) is not None


async def test_token_without_exp_is_refused(jwks_server: JwksServer) -> None:
    error = await refused(authenticator(jwks_server), bearer(RSA_1.sign(exp=None)))
    assert error.failure is AuthFailure.MISSING_CLAIM


async def test_token_not_valid_yet_is_refused(jwks_server: JwksServer) -> None:
    auth = authenticator(jwks_server, leeway=5)
    now = int(time.time())
    error = await refused(auth, bearer(RSA_1.sign(nbf=now + 120)))
    assert error.failure is AuthFailure.NOT_YET_VALID
    assert await auth.authenticate(bearer(RSA_1.sign(nbf=now + 2))) is not None


@pytest.mark.parametrize("aud", ["someone-else", ["a", "b"], None])
async def test_wrong_or_missing_audience_is_refused(jwks_server: JwksServer, aud: Any) -> None:
    error = await refused(authenticator(jwks_server), bearer(RSA_1.sign(aud=aud)))
    assert error.failure is AuthFailure.AUDIENCE


async def test_one_of_several_audiences_is_enough(jwks_server: JwksServer) -> None:
    auth = authenticator(jwks_server)
    assert await auth.authenticate(bearer(RSA_1.sign(aud=["other", AUDIENCE]))) is not None


@pytest.mark.parametrize("iss", ["https://evil.test/", None])
async def test_wrong_or_missing_issuer_is_refused(jwks_server: JwksServer, iss: Any) -> None:
    error = await refused(authenticator(jwks_server), bearer(RSA_1.sign(iss=iss)))
    assert error.failure is AuthFailure.ISSUER


async def test_signature_by_another_key_with_a_known_kid_is_refused(jwks_server: JwksServer) -> None:
    impostor = rsa_key("rsa-1")
    error = await refused(authenticator(jwks_server), bearer(impostor.sign()))
    assert error.failure is AuthFailure.SIGNATURE


async def test_hs256_signed_with_the_public_key_is_refused(jwks_server: JwksServer) -> None:
    """Algorithm confusion: the attacker uses the published RSA key as an HMAC secret."""
    public_pem = RSA_1.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    now = int(time.time())
    payload = {"iss": ISSUER, "aud": AUDIENCE, "sub": "Admin", "exp": now + 60}
    header = jwt.utils.base64url_encode(json.dumps({"alg": "HS256", "kid": "rsa-1"}).encode())
    body = jwt.utils.base64url_encode(json.dumps(payload).encode())
    import hashlib
    import hmac

    signature = hmac.new(public_pem, header + b"." + body, hashlib.sha256).digest()
    token = (header + b"." + body + b"." + jwt.utils.base64url_encode(signature)).decode()
    error = await refused(authenticator(jwks_server), bearer(token))
    assert error.failure is AuthFailure.ALGORITHM


async def test_alg_none_is_refused(jwks_server: JwksServer) -> None:
    token = jwt.encode(
        {"iss": ISSUER, "aud": AUDIENCE, "sub": "Admin", "exp": int(time.time()) + 60}, None, "none"
    )
    error = await refused(authenticator(jwks_server), bearer(token))
    assert error.failure is AuthFailure.ALGORITHM


async def test_a_token_whose_alg_differs_from_the_keys_alg_is_refused(jwks_server: JwksServer) -> None:
    # RS256 key "rsa-1" but the token says PS256 (same key type, different algorithm than the JWK declares)
    auth = authenticator(jwks_server, algorithms=("RS256", "PS256", "ES256"))
    error = await refused(auth, bearer(RSA_1.sign(alg="PS256")))
    assert error.failure is AuthFailure.ALGORITHM


async def test_a_key_without_alg_cannot_verify_another_key_types_algorithm() -> None:
    bare = rsa_key("bare", declare_alg=False)
    server = JwksServer(keys=[bare])
    with serve_in_thread(server.app()) as base:
        server.url = f"{base}/.well-known/jwks.json"
        auth = authenticator(server)
        assert await auth.authenticate(bearer(bare.sign())) is not None
        forged = ec_key("bare").sign()  # ES256 header naming an RSA key
        error = await refused(auth, bearer(forged))
        assert error.failure is AuthFailure.ALGORITHM


def test_settings_refuse_none_and_symmetric_algorithms() -> None:
    for algorithms in (("none",), ("HS256",), ("RS256", "HS512"), ()):
        with pytest.raises(ValueError):
            AuthSettings(jwks_file="keys.json", algorithms=algorithms)
    with pytest.raises(ValueError):
        AuthSettings()
    with pytest.raises(ValueError):
        AuthSettings(jwks_file="a.json", jwks_url="http://x/jwks")


async def test_rotation_fetches_the_new_kid_once() -> None:
    old, new = rsa_key("k-old"), rsa_key("k-new")
    server = JwksServer(keys=[old])
    clock = Clock()
    with serve_in_thread(server.app()) as base:
        server.url = f"{base}/.well-known/jwks.json"
        auth = authenticator(server, clock, min_refresh_interval=10)
        assert await auth.authenticate(bearer(old.sign())) is not None
        assert server.fetches == 1
        server.keys = [old, new]  # the issuer rotates: publishes the new key, then signs with it
        clock.now += 11
        results = await asyncio.gather(*(auth.authenticate(bearer(new.sign())) for _ in range(10)))
        assert all(r is not None and r.subject == "User:1" for r in results)
        assert server.fetches == 2
        assert await auth.authenticate(bearer(new.sign())) is not None
        assert server.fetches == 2


async def test_a_flood_of_unknown_kids_cannot_hammer_the_jwks_endpoint() -> None:
    server = JwksServer(keys=[RSA_1])
    clock = Clock()
    with serve_in_thread(server.app()) as base:
        server.url = f"{base}/.well-known/jwks.json"
        auth = authenticator(server, clock, min_refresh_interval=10)
        assert await auth.authenticate(bearer(RSA_1.sign())) is not None
        clock.now += 11
        tokens = [RSA_1.sign(kid=uuid.uuid4().hex) for _ in range(50)]
        errors = await asyncio.gather(*(refused(auth, bearer(t)) for t in tokens))
        assert {e.failure for e in errors} == {AuthFailure.UNKNOWN_KEY}
        assert server.fetches == 2  # one refetch for the whole flood
        clock.now += 5
        await refused(auth, bearer(RSA_1.sign(kid="still-unknown")))
        assert server.fetches == 2  # within min_refresh_interval of the last fetch


async def test_keys_are_refreshed_on_the_interval(tmp_path: Any) -> None:
    key, replacement = ec_key("a"), ec_key("b")
    file = tmp_path / "jwks.json"
    file.write_text(json.dumps({"keys": [key.jwk()]}))
    clock = Clock()
    keys = KeySet(algorithms=frozenset({"ES256"}), file=str(file), refresh_interval=60, clock=clock)
    assert (await keys.key("a")) is not None
    file.write_text(json.dumps({"keys": [replacement.jwk()]}))
    clock.now += 30
    assert (await keys.key("a")) is not None  # still cached
    clock.now += 31
    assert (await keys.key("a")) is None  # the retired key is gone after the interval
    assert (await keys.key("b")) is not None
    assert keys.loads == 2


async def test_a_broken_refresh_keeps_the_keys_held(tmp_path: Any) -> None:
    file = tmp_path / "jwks.json"
    file.write_text(json.dumps({"keys": [RSA_1.jwk()]}))
    clock = Clock()
    keys = KeySet(algorithms=frozenset({"RS256"}), file=str(file), refresh_interval=60, clock=clock)
    assert (await keys.key("rsa-1")) is not None
    file.write_text("{not json")
    clock.now += 61
    assert (await keys.key("rsa-1")) is not None


async def test_unreachable_jwks_is_503_not_401() -> None:
    url = f"http://127.0.0.1:{free_port()}/jwks.json"
    auth = JwtAuthenticator(AuthSettings(jwks_url=url, fetch_timeout=2))
    error = await refused(auth, bearer(RSA_1.sign()))
    assert error.failure is AuthFailure.KEYS_UNAVAILABLE
    assert error.status == 503 and error.response_headers() == {}


async def test_jwks_from_a_file_and_a_token_without_kid(tmp_path: Any) -> None:
    file = tmp_path / "jwks.json"
    file.write_text(json.dumps({"keys": [EC_1.jwk()]}))
    auth = JwtAuthenticator(AuthSettings(jwks_file=str(file), audience=(AUDIENCE,)))
    claims = await auth.authenticate(bearer(EC_1.sign(kid=None)))
    assert claims is not None and claims.subject == "User:1"


async def test_claims_are_forwarded_as_ascii_json(jwks_server: JwksServer) -> None:
    auth = authenticator(jwks_server, claims_header="x-claims")
    claims = await auth.authenticate(bearer(RSA_1.sign(name="Zoë\r\nX-Admin: yes", scope="orders:manage")))
    headers = forwarded_claims_headers(claims, auth.settings)
    assert list(headers) == ["x-claims"]
    value = headers["x-claims"]
    assert value.isascii() and "\r" not in value and "\n" not in value
    decoded = json.loads(value)
    assert decoded["sub"] == "User:1" and decoded["name"] == "Zoë\r\nX-Admin: yes"
    assert decoded["scope"] == "orders:manage" and decoded["aud"] == AUDIENCE
    assert forwarded_claims_headers(None, auth.settings) == {}


def test_settings_from_environment() -> None:
    assert AuthSettings.from_env({}) is None
    settings = AuthSettings.from_env(
        {
            "GATEWAY_JWKS_URL": "http://127.0.0.1:1/jwks.json",
            "GATEWAY_JWT_ISSUER": ISSUER,
            "GATEWAY_JWT_AUDIENCE": "a, b",
            "GATEWAY_JWT_ALGORITHMS": "ES256 EdDSA",
            "GATEWAY_JWT_LEEWAY": "5",
            "GATEWAY_JWT_HEADER": "X-Token",
            "GATEWAY_JWT_SCHEME": "",
            "GATEWAY_CLAIMS_HEADER": "X-User-Claims",
        }
    )
    assert settings is not None
    assert settings.audience == ("a", "b") and settings.algorithms == ("ES256", "EdDSA")
    assert (settings.header, settings.scheme, settings.claims_header) == ("x-token", "", "x-user-claims")
    assert settings.leeway == 5 and settings.issuer == ISSUER
    with pytest.raises(ValueError):
        AuthSettings.from_env({"GATEWAY_JWKS_FILE": "k.json", "GATEWAY_JWT_ALGORITHMS": "HS256"})
