"""``fedgw explain``: plan JSON for an operation, from a supergraph file or a composed gateway config."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from gateway.commands import explain

from .support import SUPERGRAPH_SDL, RecordingPlanner, tiny_supergraph

HERE = Path(__file__).parent


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, object], str]:
    parser = argparse.ArgumentParser()
    explain.add_parser(parser.add_subparsers())
    code = explain.run(parser.parse_args(["explain", *argv]))
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out else {}), err


def test_explain_function_with_injected_planner() -> None:
    planner = RecordingPlanner()
    plan, ok = explain.explain(tiny_supergraph(), "query Q { hello }", "Q", frozenset({"x"}), planner=planner)
    assert ok and plan["kind"] == "QueryPlan"
    assert planner.calls[0].override_labels == frozenset({"x"})
    errors, ok = explain.explain(tiny_supergraph(), "{ hello(", planner=planner)
    assert not ok
    assert errors["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"  # type: ignore[index]


def test_explain_from_supergraph_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "supergraph.graphql"
    path.write_text(SUPERGRAPH_SDL)
    query = tmp_path / "op.graphql"
    query.write_text("query Stock { topProducts { id stock } }")
    code, plan, _ = run(["--supergraph", str(path), f"@{query}"], capsys)
    assert code == 0
    assert plan["node"]["serviceName"] == "products"  # type: ignore[index]
    code, plan, _ = run(["--supergraph", str(path), "--label", "new-stock", f"@{query}"], capsys)
    assert code == 0
    nodes = plan["node"]["nodes"]  # type: ignore[index]
    assert [n["kind"] for n in nodes] == ["Fetch", "Flatten"]
    assert nodes[1]["node"]["serviceName"] == "reviews"


def test_explain_reports_invalid_operations(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "supergraph.graphql"
    path.write_text(SUPERGRAPH_SDL)
    code, out, _ = run(["--supergraph", str(path), "{ nope }"], capsys)
    assert code == 1
    assert out["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"  # type: ignore[index]
    code, out, err = run(["--supergraph", str(tmp_path / "missing.graphql"), "{ hello }"], capsys)
    assert code == 1 and "SUPERGRAPH_NOT_READABLE" in err


def test_explain_composes_from_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "gateway.yaml"
    config.write_text(
        "subgraphs:\n"
        + "".join(
            f"  - name: {name}\n    url: http://{name}.test/graphql\n"
            f"    schema: {HERE / 'subgraphs' / (name + '.graphql')}\n"
            for name in ("products", "reviews")
        )
    )
    argv = ["--config", str(config), "--from", "file", "{ product(id: 1) { name } }"]
    code, plan, err = run(argv, capsys)
    assert code == 0, err
    assert plan["node"]["serviceName"] == "products"  # type: ignore[index]
    assert "name" in plan["node"]["operation"]  # type: ignore[index]


def test_explain_defaults_to_the_committed_supergraph(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # With neither --supergraph nor --config, the config's committed supergraph file is planned against: no
    # running service is needed (the subgraph URLs point nowhere).
    (tmp_path / "schema").mkdir()
    (tmp_path / "schema" / "supergraph.graphql").write_text(SUPERGRAPH_SDL)
    (tmp_path / "gateway.yaml").write_text(
        "supergraph: schema/supergraph.graphql\n"
        "subgraphs:\n  - name: products\n    url: http://127.0.0.1:9/graphql\n"
    )
    monkeypatch.chdir(tmp_path)
    code, plan, err = run(["query Stock { topProducts { id stock } }"], capsys)
    assert code == 0, err
    assert plan["node"]["serviceName"] == "products"  # type: ignore[index]
