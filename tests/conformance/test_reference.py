"""Differential test: every per-feature case, answered by Hive Gateway over the same subgraphs on real HTTP.

Data must be equal, errors equal by path (messages differ between gateways). Cases whose ``reference`` field
says why Hive Gateway differs from the spec are strict xfails with that reason: the difference is checked to
still be there.
"""

from __future__ import annotations

import ast
import importlib
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .differential import KNOWN_DIFFERENCES, reasons, set_differences
from .generator import generate
from .hive import HiveGateway, SubgraphServer, ensure_reference_installed, serve_asgi
from .support import Case, Federation, normalise_for_reference

# The feature modules whose cases must run here; any other ``test_*.py`` beside this file that defines
# ``CASES`` is found and run too, so a new feature module needs no entry. A listed module that is missing
# fails ``test_every_feature_module_is_present`` instead of silently dropping its cases.
FEATURES = [
    "test_keys",
    "test_requires",
    "test_provides",
    "test_shareable",
    "test_override",
    "test_abstract_types",
    "test_interface_object",
    "test_errors",
    "test_mutations_aliases_chains",
    "test_variables_directives",
    "test_requires_abstract",
    "test_interface_object_unresolvable",
    "test_error_fidelity",
]
HERE = Path(__file__).resolve().parent


def defines_cases(path: Path) -> bool:
    """Whether the module at ``path`` assigns ``CASES`` at its top level."""
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        if any(isinstance(t, ast.Name) and t.id == "CASES" for t in targets):
            return True
    return False


def case_modules() -> list[str]:
    """FEATURES, then every other module beside this one that defines ``CASES``, in name order."""
    found = sorted(
        p.stem for p in HERE.glob("test_*.py") if p.stem != Path(__file__).stem and defines_cases(p)
    )
    return FEATURES + [name for name in found if name not in FEATURES]


MISSING: list[str] = []


def all_cases() -> list[Case]:
    cases: list[Case] = []
    for name in case_modules():
        qualified = f"{__package__}.{name}"
        try:
            module = importlib.import_module(qualified)
        except ModuleNotFoundError as error:
            if error.name != qualified:
                raise  # the module is there but imports something missing: that is its own failure
            MISSING.append(name)
            continue
        cases.extend(module.CASES)
    return cases


CASES = all_cases()


def test_every_feature_module_is_present() -> None:
    assert not MISSING, f"feature case modules listed in FEATURES are missing: {', '.join(MISSING)}"


def test_case_modules_are_found_without_being_listed(tmp_path: Path) -> None:
    assert set(FEATURES) <= set(case_modules())
    listed = tmp_path / "test_listed.py"
    listed.write_text("CASES = []\n")
    annotated = tmp_path / "test_annotated.py"
    annotated.write_text("from x import Case\nCASES: list[Case] = []\n")
    other = tmp_path / "test_other.py"
    other.write_text("def test_it():\n    CASES = []\n")
    assert [defines_cases(p) for p in (listed, annotated, other)] == [True, True, False]


@pytest.fixture(scope="module")
def hive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HiveGateway]:
    problem = ensure_reference_installed()
    if problem:
        pytest.skip(problem)
    federations: dict[str, Federation] = {c.federation.name: c.federation for c in CASES}
    server = SubgraphServer(list(federations.values()))
    with serve_asgi(server) as base:
        supergraphs = {name: f.supergraph_sdl(server.urls(base, f)) for name, f in federations.items()}
        gateway = HiveGateway(supergraphs, Path(tmp_path_factory.mktemp("hive")))
        try:
            yield gateway
        finally:
            gateway.close()


def _params() -> list[Any]:
    out: list[Any] = []
    for case in CASES:
        # A documented difference must still be one (the reference is pinned): a strict xfail checks it.
        marks = (
            [pytest.mark.xfail(reason=f"reference gateway differs: {case.reference}", strict=True)]
            if case.reference
            else []
        )
        out.append(pytest.param(case, id=f"{case.federation.name}-{case.id}", marks=marks))
    return out


@pytest.mark.parametrize("case", _params())
def test_reference_gateway_agrees(hive: HiveGateway, case: Case) -> None:
    headers = dict(case.headers)
    headers["x-override-rng"] = "0.000001" if case.enabled_percent else "0.999999"
    if case.setup is not None:
        case.setup()
    got = hive.post(case.federation.name, case.query, case.variables, headers)
    assert normalise_for_reference(got) == normalise_for_reference(case.expected), got


# Random operations over every subgraph set of the suites: the same generator as for the demo supergraph, with
# the plain IDs the sets' data uses (``bench/differential.py --sets`` runs more).
RANDOM_PER_FEDERATION = 25
IDS = ("u1", "u2", "u3", "p1", "p2", "p3", "p9", "1", "2", "b1", "m1", "a1", "a2", "t1", "x")
FEDERATIONS: dict[str, Federation] = {c.federation.name: c.federation for c in CASES}


@pytest.mark.parametrize("federation", list(FEDERATIONS.values()), ids=list(FEDERATIONS))
async def test_random_operations_agree_with_the_reference(hive: HiveGateway, federation: Federation) -> None:
    seed = zlib.crc32(federation.name.encode())
    operations = generate(
        federation.supergraph.api_schema, RANDOM_PER_FEDERATION, seed=seed, max_depth=4, ids=IDS
    )
    differences = await set_differences(federation, hive, operations)
    unexplained = [d for d, why in differences if why is None]
    assert not unexplained, f"{len(unexplained)} differ:\n" + "\n\n".join(
        d.describe(600) for d in unexplained
    )
    for _, why in differences:
        assert why is not None and set(reasons(why)) <= set(KNOWN_DIFFERENCES), why
        assert not why.startswith("ours"), why
