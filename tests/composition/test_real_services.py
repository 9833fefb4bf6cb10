"""The project's own services (users, products, orders): their committed snapshots compose like the oracle's,
and ``fedgw check`` passes on the repository once the supergraph snapshot is committed."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.cli import main
from gateway.config import load_config

from .support import Oracle, assert_composes_like_oracle

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "gateway.yaml"


def _snapshots() -> list[tuple[str, str]]:
    config = load_config(CONFIG, environ={})
    missing = [s.name for s in config.subgraphs if not s.schema or not Path(s.schema).exists()]
    assert not missing, f"no committed SDL snapshot for {', '.join(missing)}"
    return [(s.name, Path(s.schema or "").read_text(encoding="utf-8")) for s in config.subgraphs]


def test_snapshots_compose_like_the_oracle(oracle: Oracle) -> None:
    result = assert_composes_like_oracle(_snapshots(), oracle)
    assert result.supergraph().type("Query").fields


def test_check_passes_on_the_repository(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _snapshots()
    config = load_config(CONFIG, environ={})
    assert Path(ROOT / config.supergraph).exists(), f"{config.supergraph} is not committed"
    monkeypatch.chdir(ROOT)
    code = main(["check", "--config", str(CONFIG)])
    assert code == 0, capsys.readouterr()
