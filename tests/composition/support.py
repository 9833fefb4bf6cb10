"""Helpers for composition tests: subgraph SDL headers, composing, and cross-checking with the oracle."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from graphql import GraphQLSchema, build_schema, lexicographic_sort_schema, print_schema

from gateway.composition import CompositionResult, SubgraphSource, compose

from .join_facts import diff_join_facts

ORACLE_DIR = Path(__file__).parent / "oracle"
Subgraphs = Sequence[tuple[str, str]]
Oracle = Callable[[Subgraphs], dict[str, Any]]


def fed2(*imports: str, version: str = "2.3") -> str:
    """``extend schema @link(...federation/v<version>, import: [...])`` for a Federation 2 subgraph."""
    names = ", ".join(f'"@{i}"' for i in imports)
    return f'extend schema @link(url: "https://specs.apollo.dev/federation/v{version}", import: [{names}])\n'


def compose_sdls(subgraphs: Subgraphs) -> CompositionResult:
    return compose([SubgraphSource(name, f"http://{name}.local/graphql", sdl) for name, sdl in subgraphs])


def printed(schema: GraphQLSchema) -> str:
    return print_schema(lexicographic_sort_schema(schema))


def _node(script: str, stdin: str) -> dict[str, Any]:
    done = subprocess.run(
        ["node", str(ORACLE_DIR / script)],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{script} failed: {done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def run_oracle(subgraphs: Subgraphs) -> dict[str, Any]:
    """The reference composition of ``subgraphs``: ``{supergraphSdl, publicSdl, errors: [{code, message}]}``."""
    payload = [{"name": n, "url": f"http://{n}.local/graphql", "sdl": s} for n, s in subgraphs]
    return _node("compose.mjs", json.dumps(payload))


def run_apollo(subgraphs: Subgraphs) -> dict[str, Any]:
    """Apollo's composition (@apollo/composition) of ``subgraphs``: ``{supergraphSdl, publicSdl, errors}``."""
    payload = [{"name": n, "url": f"http://{n}.local/graphql", "sdl": s} for n, s in subgraphs]
    return _node("compose_apollo.mjs", json.dumps(payload))


def assert_joins_like_apollo(subgraphs: Subgraphs, supergraph_sdl: str) -> None:
    """Apollo composes ``subgraphs`` too, with the same join facts and the same API schema (descriptions
    included) as ``supergraph_sdl``."""
    apollo = run_apollo(subgraphs)
    assert apollo["errors"] == [], apollo["errors"]
    diffs = diff_join_facts(supergraph_sdl, apollo["supergraphSdl"])
    assert diffs == [], "\n".join(diffs)
    ours_api = printed(build_schema(read_supergraph_api(supergraph_sdl)))
    assert ours_api == printed(build_schema(apollo["publicSdl"]))


def assert_composes_like_apollo(subgraphs: Subgraphs) -> CompositionResult:
    """Ours and Apollo's composition both succeed, with the same join facts and API schema; ours reads back."""
    ours = compose_sdls(subgraphs)
    assert ours.errors == [], [str(e) for e in ours.errors]
    assert ours.supergraph_sdl is not None
    assert_joins_like_apollo(subgraphs, ours.supergraph_sdl)
    return ours


def assert_fails_like_apollo(subgraphs: Subgraphs, code: str, *mentions: str) -> CompositionResult:
    """We report ``code`` (with a message mentioning ``mentions``), and so does Apollo's composition."""
    apollo = run_apollo(subgraphs)
    assert apollo["supergraphSdl"] is None
    assert code in {e["code"] for e in apollo["errors"]}, apollo["errors"]
    return assert_fails_like_oracle(subgraphs, None, code, *mentions)


def read_supergraph_api(supergraph_sdl: str) -> str:
    from gateway.composition.read_supergraph import read_supergraph

    return print_schema(read_supergraph(supergraph_sdl).api_schema)


def apollo_load(supergraph_sdl: str) -> dict[str, Any]:
    """Load a supergraph SDL with Apollo's own loader: ``{ok, error, apiSchema, subgraphs}``."""
    return _node("accept.mjs", supergraph_sdl)


def install_oracle() -> str | None:
    """Install the oracle's node_modules with ``npm ci`` if needed; the reason it is unavailable, or None."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        return (
            "node/npm not installed: the reference composition (@theguild/federation-composition) cannot run"
        )
    installed = ORACLE_DIR / "node_modules"
    if not all((installed / p).exists() for p in ("@theguild/federation-composition", "@apollo/composition")):
        done = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"],
            cwd=ORACLE_DIR,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            return f"npm ci failed in {ORACLE_DIR}: {done.stderr[-500:]}"
    return None


def assert_composes_like_oracle(
    subgraphs: Subgraphs, oracle: Oracle, *, read_back: bool = True, like_apollo: bool = True
) -> CompositionResult:
    """Ours and the oracle both succeed with the same API schema; our supergraph loads in Apollo's tooling
    (subgraphs extracted, same API schema) and in ``read_supergraph`` (same API schema); and, unless ``like_apollo``
    is False (where Apollo's composition refuses the set, said at the call), Apollo's composition writes the same
    join facts and API schema."""
    ours = compose_sdls(subgraphs)
    assert ours.errors == [], [str(e) for e in ours.errors]
    assert ours.supergraph_sdl is not None and ours.api_schema_sdl is not None
    reference = oracle(subgraphs)
    assert reference["errors"] == [], reference["errors"]
    expected = printed(build_schema(reference["publicSdl"]))
    assert printed(build_schema(ours.api_schema_sdl)) == expected
    if read_back:
        assert printed(ours.supergraph().api_schema) == expected
    apollo = apollo_load(ours.supergraph_sdl)
    assert apollo["ok"], apollo["error"]
    assert sorted(apollo["subgraphs"]) == sorted(n for n, _ in subgraphs)
    apollo_api = printed(build_schema(apollo["apiSchema"]))
    # Where the references disagree (composed directive definitions: kept by The Guild, dropped by Apollo and
    # by read_supergraph), ``read_back=False`` checks Apollo against our reader instead.
    assert apollo_api == (expected if read_back else printed(ours.supergraph().api_schema))
    if like_apollo:
        assert_joins_like_apollo(subgraphs, ours.supergraph_sdl)
    return ours


def assert_fails_like_oracle(
    subgraphs: Subgraphs, oracle: Oracle | None, code: str, *mentions: str
) -> CompositionResult:
    """We report ``code`` with a message mentioning ``mentions``; the oracle (when given) rejects with it too."""
    ours = compose_sdls(subgraphs)
    assert ours.supergraph_sdl is None
    matching = [e for e in ours.errors if e.code == code]
    assert matching, [str(e) for e in ours.errors]
    assert any(all(m in e.message for m in mentions) for e in matching), [e.message for e in matching]
    if oracle is not None:
        reference = oracle(subgraphs)
        assert reference["supergraphSdl"] is None
        assert code in {e["code"] for e in reference["errors"]}, reference["errors"]
    return ours
