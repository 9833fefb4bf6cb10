"""Descriptions merge as Apollo's composition merges them (composition-js ``merge.ts``, ``mergeDescription``):
the description most subgraphs give wins, ties go to the first subgraph by name, and an empty description only
wins where no subgraph gives another."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import build_schema

from .support import Oracle, assert_composes_like_apollo, fed2


def _sub(description: str | None) -> str:
    head = f'"""{description}"""\n' if description is not None else ""
    return fed2("shareable") + f"type Query {{ v: V @shareable }}\n{head}type V @shareable {{ x: Int }}"


def _description(subgraphs: list[tuple[str, str]]) -> str | None:
    result = assert_composes_like_apollo(subgraphs)
    return result.supergraph().api_schema.type_map["V"].description


def test_the_most_common_description_wins(apollo: Oracle) -> None:
    subgraphs = [("a", _sub("stub")), ("b", _sub("owner")), ("c", _sub("owner"))]
    assert _description(subgraphs) == "owner"


def test_a_tie_goes_to_the_first_subgraph_by_name(apollo: Oracle) -> None:
    assert _description([("b", _sub("second")), ("a", _sub("first"))]) == "first"


def test_an_empty_description_loses_to_any_other(apollo: Oracle) -> None:
    subgraphs = [("a", _sub("")), ("b", _sub("")), ("c", _sub("real")), ("d", _sub(None))]
    assert _description(subgraphs) == "real"


def test_the_services_product_takes_the_description_apollo_takes(apollo: Oracle) -> None:
    # products and orders each describe Product once: a tie, which the first subgraph by name ("orders")
    # wins in Apollo's composition too. The owner's description shows only if orders drops its own.
    root = Path(__file__).resolve().parents[2] / "schema"
    names = ("orders", "products", "users")
    if not all((root / f"{n}.graphql").exists() for n in names):
        pytest.skip("no committed SDL snapshots")
    subgraphs = [(n, (root / f"{n}.graphql").read_text(encoding="utf-8")) for n in names]
    ours = assert_composes_like_apollo(subgraphs).supergraph().api_schema.type_map["Product"].description
    reference = build_schema(apollo(subgraphs)["publicSdl"]).type_map["Product"].description
    assert ours == reference == "A product of the products service, as orders see it."
