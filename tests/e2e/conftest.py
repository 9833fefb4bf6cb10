"""End-to-end fixtures: the real system (`python -m gateway up`) as separate processes over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.local_system import LocalSystem, local_system


@dataclass
class System:
    local: LocalSystem

    @property
    def url(self) -> str:
        return self.local.url

    @property
    def subgraph_urls(self) -> dict[str, str]:
        return self.local.subgraph_urls

    def post(self, query: str, variables: dict | None = None, **kwargs) -> httpx.Response:
        return httpx.post(self.url, json={"query": query, "variables": variables or {}}, timeout=60, **kwargs)


@pytest.fixture(scope="session")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    """Every service and the gateway on free ports and fresh SQLite files, started by the `up` command."""
    try:
        with local_system(tmp_path_factory.mktemp("system")) as local:
            yield System(local)
    except RuntimeError as error:
        pytest.fail(str(error))
