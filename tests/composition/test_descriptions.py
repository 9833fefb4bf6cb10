"""Descriptions merge as Apollo's composition merges them (composition-js ``merge.ts``, ``mergeDescription``):
the description most subgraphs give wins, ties go to the first subgraph by name, and an empty description only
wins where no subgraph gives another."""

from __future__ import annotations

from pathlib import Path

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


def test_the_services_entities_show_their_owners_description(apollo: Oracle) -> None:
    # Only the owner describes an entity; the stubs in other services carry none, so GraphiQL's docs show the
    # owner's text (with two descriptions in a tie, the first subgraph by name would win, as in Apollo's).
    root = Path(__file__).resolve().parents[2] / "schema"
    names = ("orders", "payments", "products", "users")
    subgraphs = [(n, (root / f"{n}.graphql").read_text(encoding="utf-8")) for n in names]
    ours = assert_composes_like_apollo(subgraphs).supergraph().api_schema.type_map
    reference = build_schema(apollo(subgraphs)["publicSdl"]).type_map
    owners = {
        "Product": "Something the shop sells.",
        "User": "A registered customer.",
        "Order": "An order placed by a user or a guest.",
    }
    for name, text in owners.items():
        assert ours[name].description == reference[name].description == text, name
