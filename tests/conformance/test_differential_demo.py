"""Random operations over the demo supergraph, answered by our gateway and by Hive Gateway (Rust planner), agree.

A short, seeded run (100 operations, well under a minute) for the default suite; ``bench/differential.py
--count 2000`` runs more, and ``--sets`` over every conformance set.
Every difference must be explained by a documented one (``differential.KNOWN_DIFFERENCES``): Hive Gateway's
own bugs are tolerated; ours are a strict xfail until fixed.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from graphql import parse, validate

from .differential import (
    KNOWN_DIFFERENCES,
    DemoSystem,
    Difference,
    demo_system,
    explain,
    reasons,
    run_operation,
)
from .generator import generate
from .hive import ensure_reference_installed

SEED = 20261126
COUNT = 100


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoSystem]:
    problem = ensure_reference_installed()
    if problem:
        pytest.skip(problem)
    with demo_system(tmp_path_factory.mktemp("demo")) as system:
        yield system


@pytest.fixture(scope="module")
def differences(demo: DemoSystem) -> list[tuple[Difference, str | None]]:
    """Every operation of the seeded run that the two gateways answer differently, with its explanation."""
    found = []
    for operation in generate(demo.api_schema, COUNT, seed=SEED):
        difference = run_operation(demo, operation)
        if difference is not None:
            found.append((difference, explain(demo, difference)))
    return found


def test_generator_is_seeded_and_valid(demo: DemoSystem) -> None:
    schema = demo.api_schema
    first = generate(schema, 30, seed=7)
    assert [o.query for o in first] == [o.query for o in generate(schema, 30, seed=7)]
    assert [o.query for o in first] != [o.query for o in generate(schema, 30, seed=8)]
    for op in first:
        assert validate(schema, parse(op.query)) == []
    text = "\n".join(o.query for o in generate(schema, 200, seed=7))
    for feature in (
        "fragment ",
        "... on Node",
        ": ",
        "$v",
        "@skip",
        "@include",
        "__typename",
        "node(",
        "Order:",
    ):
        assert feature in text, feature


def test_every_difference_is_a_documented_one(differences: list[tuple[Difference, str | None]]) -> None:
    unexplained = [d for d, why in differences if why is None]
    assert not unexplained, f"{len(unexplained)} of {COUNT} differ; first:\n" + unexplained[0].describe()
    assert {reason for _, why in differences if why for reason in reasons(why)} <= set(KNOWN_DIFFERENCES)


def test_no_difference_is_our_bug(differences: list[tuple[Difference, str | None]]) -> None:
    ours = [d for d, why in differences if why is not None and why.startswith("ours")]
    assert not ours, f"{len(ours)} of {COUNT}; first:\n" + ours[0].describe()
