"""Supergraphs from our composer plan exactly like the same subgraphs composed by Apollo's composer."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.composition import SubgraphSource, compose
from gateway.composition.read_supergraph import read_supergraph

from .supergraphs import fixture, plan_json
from .test_subgraph_validity import CASES

SUBGRAPHS = Path(__file__).resolve().parent / "fixtures_tool" / "subgraphs"


@pytest.mark.parametrize(("fixture_name", "query"), CASES)
def test_same_plan_as_with_the_reference_composer(fixture_name: str, query: str) -> None:
    sources = [
        SubgraphSource(p.stem, f"http://{p.stem}.local/graphql", p.read_text())
        for p in sorted((SUBGRAPHS / fixture_name).glob("*.graphql"))
    ]
    result = compose(sources)
    assert result.ok, result.errors
    assert result.supergraph_sdl is not None
    ours = read_supergraph(result.supergraph_sdl)
    assert plan_json(ours, query) == plan_json(fixture(f"{fixture_name}.apollo"), query)
