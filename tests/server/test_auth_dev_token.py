"""``fedgw token``: a development key created once, whose tokens the gateway's authenticator accepts."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from gateway.cli import main
from gateway.commands.token import parse_ttl
from gateway.server.auth import AuthError, AuthFailure, AuthSettings, JwtAuthenticator
from gateway.server.auth.dev_key import DEV_AUDIENCE, DEV_ISSUER, dev_auth_env, ensure_dev_key


def test_the_key_is_created_once_private_and_published_as_a_jwks(tmp_path: Path) -> None:
    first = ensure_dev_key(tmp_path)
    pem = tmp_path / "dev-jwt" / "private.pem"
    assert stat.S_IMODE(pem.stat().st_mode) == 0o600
    again = ensure_dev_key(tmp_path)
    assert again.kid == first.kid
    jwks = json.loads(first.jwks_file.read_text())
    assert [k["kid"] for k in jwks["keys"]] == [first.kid]
    assert "d" not in jwks["keys"][0]  # only the public half is published
    assert ensure_dev_key(tmp_path / "elsewhere").kid != first.kid  # random per checkout, never derived


async def test_fedgw_token_prints_a_token_the_gateway_accepts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["token", "--sub", "User:1", "--scope", "orders:manage", "--scope", "users:read users:write"]
    assert main([*argv, "--ttl", "15m", "--claim", "tenant=acme", "--data-dir", str(tmp_path)]) == 0
    token = capsys.readouterr().out.strip()
    settings = AuthSettings.from_env(dev_auth_env(ensure_dev_key(tmp_path)))
    assert settings is not None and settings.issuer == DEV_ISSUER and settings.audience == (DEV_AUDIENCE,)
    claims = await JwtAuthenticator(settings).authenticate({"authorization": f"Bearer {token}"})
    assert claims is not None
    assert claims.subject == "User:1"
    assert claims.scopes == {"orders:manage", "users:read", "users:write"}
    assert claims.values["tenant"] == "acme"
    assert claims.values["exp"] - claims.values["iat"] == 900


async def test_a_token_from_another_checkouts_key_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["token", "--sub", "User:1", "--data-dir", str(tmp_path / "a")]) == 0
    token = capsys.readouterr().out.strip()
    settings = AuthSettings.from_env(dev_auth_env(ensure_dev_key(tmp_path / "b")))
    assert settings is not None
    with pytest.raises(AuthError) as caught:
        await JwtAuthenticator(settings).authenticate({"authorization": f"Bearer {token}"})
    assert caught.value.failure is AuthFailure.UNKNOWN_KEY


def test_header_format_is_ready_for_graphiql(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["token", "--sub", "User:2", "--format", "header", "--data-dir", str(tmp_path)]) == 0
    headers = json.loads(capsys.readouterr().out)
    assert headers["Authorization"].startswith("Bearer ey")


def test_reserved_claims_cannot_be_set_with_claim(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["token", "--sub", "U", "--claim", "aud=other", "--data-dir", str(tmp_path)]) == 2
    assert "--claim cannot set aud" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "seconds"), [("90", 90), ("90s", 90), ("15m", 900), ("1h", 3600), ("7d", 604800)]
)
def test_ttl(text: str, seconds: int) -> None:
    assert parse_ttl(text) == seconds


@pytest.mark.parametrize("text", ["", "0", "-1h", "1w", "h"])
def test_bad_ttl_is_refused(text: str) -> None:
    with pytest.raises(Exception, match="not a lifetime"):
        parse_ttl(text)
