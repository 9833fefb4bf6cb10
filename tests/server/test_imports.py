"""What a gateway loads: libraries of features it does not use stay out of its memory."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.local_system import ROOT


def _loaded(code: str) -> set[str]:
    script = (
        textwrap.dedent(code)
        + "\nimport sys\nprint(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_a_gateway_without_authentication_or_redis_loads_neither() -> None:
    loaded = _loaded(
        """
        from gateway.commands.serve import *  # noqa: F403
        from gateway.composition.read_supergraph import read_supergraph
        from gateway.server import Gateway, create_app
        from pathlib import Path
        supergraph = read_supergraph(Path("schema/supergraph.graphql").read_text())
        create_app(Gateway(supergraph))
        """
    )
    assert "gateway" in loaded and "fastapi" in loaded
    # PyJWT with cryptography (about 10 MiB) and redis-py (about 8 MiB) load with the features that use them.
    assert not loaded & {"jwt", "cryptography", "redis"}, loaded & {"jwt", "cryptography", "redis"}


def test_they_load_with_the_features_that_use_them() -> None:
    loaded = _loaded(
        """
        from gateway.server.auth import AuthSettings, JwtAuthenticator
        from gateway.server.redis_client import connect_redis
        JwtAuthenticator(AuthSettings(jwks_file="/nonexistent.json"))
        connect_redis("redis://127.0.0.1:6379/0")
        """
    )
    assert {"jwt", "redis"} <= loaded
