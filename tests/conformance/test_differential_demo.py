"""Random operations over the demo supergraph, answered by our gateway and by Hive Gateway, must agree.

A modest, seeded run (200 operations) for the default suite; ``bench/differential.py --count 2000`` runs more.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from graphql import parse, validate

from .differential import DemoSystem, demo_system, run_operation
from .generator import generate
from .hive import ensure_reference_installed

SEED = 20261126
COUNT = 200


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoSystem]:
    problem = ensure_reference_installed()
    if problem:
        pytest.skip(problem)
    with demo_system(tmp_path_factory.mktemp("demo")) as system:
        yield system


def test_generator_is_seeded_and_valid(demo: DemoSystem) -> None:
    schema = demo.api_schema
    first = generate(schema, 30, seed=7)
    assert [o.query for o in first] == [o.query for o in generate(schema, 30, seed=7)]
    assert [o.query for o in first] != [o.query for o in generate(schema, 30, seed=8)]
    for op in first:
        assert validate(schema, parse(op.query)) == []
    text = "\n".join(o.query for o in generate(schema, 200, seed=7))
    for feature in ("fragment ", "... on ", ": ", "$v", "__typename", "node(", "Order:", "User:", "Product:"):
        assert feature in text, feature


def test_random_operations_agree_with_the_reference(demo: DemoSystem) -> None:
    differences = []
    answered = 0
    for operation in generate(demo.api_schema, COUNT, seed=SEED):
        difference = run_operation(demo, operation)
        if difference is not None:
            differences.append(difference)
        answered += 1
    assert answered == COUNT
    assert not differences, f"{len(differences)} of {COUNT} differ; first:\n" + differences[0].describe()
