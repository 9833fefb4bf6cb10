"""The committed SDL snapshots match the code; refresh them with ``python -m subgraphs snapshot``."""

from __future__ import annotations

from pathlib import Path

import pytest

from subgraphs.__main__ import SCHEMA_DIR, SERVICES, service_sdl


@pytest.mark.parametrize("name", SERVICES)
def test_snapshot_matches_code(name):
    path: Path = SCHEMA_DIR / f"{name}.graphql"
    assert path.exists(), f"schema/{name}.graphql is missing: run `python -m subgraphs snapshot`"
    assert path.read_text() == service_sdl(name), (
        f"schema/{name}.graphql differs from the code: review the change, then run `python -m subgraphs snapshot`"
    )


def test_snapshot_check_command_flags_drift(tmp_path, monkeypatch, capsys):
    import subgraphs.__main__ as cli

    monkeypatch.setattr(cli, "SCHEMA_DIR", tmp_path)
    (tmp_path / "users.graphql").write_text("type Query { stale: Int }\n")
    assert cli.main(["snapshot", "--check", "users"]) == 1
    assert "users.graphql differs" in capsys.readouterr().err
    assert cli.main(["snapshot", "users"]) == 0
    assert cli.main(["snapshot", "--check", "users"]) == 0
