"""Our supergraphs carry the same join facts as Apollo's and The Guild's for the same subgraphs.

The subgraph sets and the reference supergraphs are the planner's committed fixtures
(``tests/planning/fixtures_tool/subgraphs/<set>/``, ``tests/fixtures/supergraphs/<set>.<composer>.graphql``);
both sides are read with ``read_supergraph`` and compared fact by fact (keys, which subgraph resolves which
field, external/requires/provides/override, implementations, union members, enum values). No node needed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gateway.composition import SubgraphSource, compose
from gateway.composition.read_supergraph import read_supergraph
from gateway.composition.supergraph import Supergraph

ROOT = Path(__file__).resolve().parents[2]
SUBGRAPH_SETS = ROOT / "tests" / "planning" / "fixtures_tool" / "subgraphs"
SUPERGRAPHS = ROOT / "tests" / "fixtures" / "supergraphs"


def _cases() -> list[tuple[str, Path]]:
    cases = []
    for directory in sorted(SUBGRAPH_SETS.glob("*")) if SUBGRAPH_SETS.exists() else []:
        for reference in sorted(SUPERGRAPHS.glob(f"{directory.name}.*.graphql")):
            if reference.name.endswith((".apollo.graphql", ".guild.graphql")):  # join v0.3+ composers
                cases.append((directory.name, reference))
    return cases


def facts(supergraph: Supergraph) -> dict[tuple[str, ...], Any]:
    out: dict[tuple[str, ...], Any] = {}
    for t in supergraph.types.values():
        out[(t.name,)] = (
            t.kind,
            sorted(
                (g, tuple((" ".join(k.fields.split()), k.resolvable) for k in s.keys), s.is_interface_object)
                for g, s in t.subgraphs.items()
            ),
            sorted((i, sorted(gs)) for i, gs in t.implements.items()),
            sorted((m, sorted(gs)) for m, gs in t.union_members.items()),
            sorted((v, sorted(gs)) for v, gs in t.enum_values.items()),
        )
        for f in t.fields.values():
            out[(t.name, f.name)] = sorted(
                (
                    g,
                    x.external,
                    x.requires,
                    x.provides,
                    x.override,
                    x.override_label,
                    x.used_overridden,
                    x.type,
                )
                for g, x in f.subgraphs.items()
            )
    return out


@pytest.mark.parametrize(("subgraph_set", "reference"), _cases(), ids=lambda v: getattr(v, "name", v))
def test_same_join_facts_as_the_reference_composers(subgraph_set: str, reference: Path) -> None:
    sources = [
        SubgraphSource(p.stem, "http://x", p.read_text(encoding="utf-8"))
        for p in sorted((SUBGRAPH_SETS / subgraph_set).glob("*.graphql"))
    ]
    result = compose(sources)
    assert result.errors == [], [str(e) for e in result.errors]
    ours, theirs = facts(result.supergraph()), facts(read_supergraph(reference.read_text(encoding="utf-8")))
    differences = {
        k: (ours.get(k), theirs.get(k)) for k in set(ours) | set(theirs) if ours.get(k) != theirs.get(k)
    }
    assert differences == {}


def test_reference_fixtures_are_present() -> None:
    if not _cases():
        pytest.skip("the planner's reference supergraph fixtures are not in the tree")
    assert len(_cases()) >= 4
