"""End-to-end fixtures: the real system (`python -m gateway up`) as separate processes over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from gateway.server.auth.dev_key import ensure_dev_key
from tests.local_system import LocalSystem, local_system

STAFF_SCOPES = ("orders:manage", "products:manage", "users:manage")
STAFF = object()  # post()'s default: a development token with every staff scope


@dataclass
class System:
    local: LocalSystem
    data_dir: Path

    @property
    def url(self) -> str:
        return self.local.url

    @property
    def subgraph_urls(self) -> dict[str, str]:
        return self.local.subgraph_urls

    def token(self, sub: str, *scopes: str) -> str:
        """A development token signed with the key `up` gave the gateway (what `fedgw token` prints)."""
        return ensure_dev_key(self.data_dir).sign(sub, list(scopes), 600)

    def post(
        self, query: str, variables: dict | None = None, *, token: object = STAFF, **kwargs
    ) -> httpx.Response:
        """POST as staff by default; ``token=None`` sends no credentials, a string sends that token."""
        if token is STAFF:
            token = self.token("User:staff", *STAFF_SCOPES)
        headers = dict(kwargs.pop("headers", None) or {})
        if token is not None:
            headers["authorization"] = f"Bearer {token}"
        body = {"query": query, "variables": variables or {}}
        return httpx.post(self.url, json=body, timeout=60, headers=headers, **kwargs)


@pytest.fixture(scope="session")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    """Every service and the gateway on free ports and fresh SQLite files, started by the `up` command."""
    try:
        workdir = tmp_path_factory.mktemp("system")
        with local_system(workdir) as local:
            yield System(local, workdir / "data")
    except RuntimeError as error:
        pytest.fail(str(error))
