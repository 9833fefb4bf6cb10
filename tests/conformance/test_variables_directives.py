"""Variables and ``@skip``/``@include`` across fetch boundaries: variables used only by entity fetches reach
them, conditions that cut whole fetches, and ``__typename`` at the root (GraphQL spec 3.13 "@skip/@include",
6.4.1 variables; query plans: ``variableUsages`` and ``Condition`` nodes)."""

from __future__ import annotations

import pytest

from .support import Case, case_params, run_case
from .test_keys import KEYS
from .test_requires import REQUIRES, shipping

CASES = [
    Case(
        "variable-used-only-by-an-entity-fetch",
        REQUIRES,
        "query($c: String!) { products { name quote(currency: $c) } }",
        {"data": {"products": [{"name": "Lamp", "quote": "40 GBP"}, {"name": "Mug", "quote": "8 GBP"}]}},
        variables={"c": "GBP"},
        depth=2,
        fetches=2,
    ),
    Case(
        "skip-true-cuts-the-entity-fetch",
        REQUIRES,
        "query($s: Boolean!) { products { name volume @skip(if: $s) } }",
        {"data": {"products": [{"name": "Lamp"}, {"name": "Mug"}]}},
        variables={"s": True},
        depth=2,
    ),
    Case(
        "skip-false-keeps-the-entity-fetch",
        REQUIRES,
        "query($s: Boolean!) { products { name volume @skip(if: $s) } }",
        {"data": {"products": [{"name": "Lamp", "volume": 10}, {"name": "Mug", "volume": 1}]}},
        variables={"s": False},
        depth=2,
    ),
    Case(
        "include-on-a-fragment-across-subgraphs",
        KEYS,
        "query($i: Boolean!) { products { name ... @include(if: $i) { stock } } }",
        {"data": {"products": [{"name": "Table"}, {"name": "Chair"}]}},
        variables={"i": False},
        depth=2,
    ),
    Case(
        "include-literal-true-and-skip-literal-false",
        KEYS,
        "{ products { name @include(if: true) stock @skip(if: false) upc @skip(if: true) } }",
        {"data": {"products": [{"name": "Table", "stock": 3}, {"name": "Chair", "stock": 0}]}},
        depth=2,
        fetches=2,
    ),
    Case(
        "typename-at-the-root-with-aliases",
        KEYS,
        "{ t: __typename products { __typename upc } __typename }",
        {
            "data": {
                "t": "Query",
                "products": [{"__typename": "Product", "upc": "p1"}, {"__typename": "Product", "upc": "p2"}],
                "__typename": "Query",
            }
        },
        depth=1,
        fetches=1,
    ),
    Case(
        "aliased-typename-on-an-entity-from-another-subgraph",
        KEYS,
        "{ topReviews { product { kind: __typename stock } } }",
        {"data": {"topReviews": [{"product": {"kind": "Product", "stock": 3}}]}},
        depth=2,
        fetches=2,
    ),
]

# Planner bug: a literal @skip/@include that removes every subfield leaves an empty selection in the subgraph
# operation, which the subgraph rejects; the field must come back as {} (GraphQL spec 6.3.2 CollectFields).
EMPTY_SELECTION = (
    "planner sends { products { } }-like subgraph operations when literal @include(if: false)/@skip(if: true) "
    "removes every subfield; the subgraph rejects it ('must have a selection of subfields') instead of the "
    "client getting {} for each object"
)

CASES += [
    Case(
        "literal-conditions-remove-every-subfield",
        KEYS,
        "{ products { name @include(if: false) } }",
        {"data": {"products": [{}, {}]}},
        depth=1,
    ),
    Case(
        "variable-conditions-remove-every-subfield",
        KEYS,
        "query($no: Boolean!) { products { name @include(if: $no) } }",
        {"data": {"products": [{}, {}]}},
        variables={"no": False},
        depth=1,
        fetches=1,
    ),
    Case(
        "field-selected-twice-one-copy-skipped",
        KEYS,
        "{ products { name @skip(if: true) name stock @include(if: false) stock } }",
        {"data": {"products": [{"name": "Table", "stock": 3}, {"name": "Chair", "stock": 0}]}},
        depth=2,
        fetches=2,
    ),
    Case(
        "excluded-key-field-next-to-an-entity-field",
        KEYS,
        "{ topReviews { author { email @include(if: false) name } } }",
        {"data": {"topReviews": [{"author": {"name": "Bob"}}]}},
        depth=2,
        fetches=2,
    ),
]


@pytest.mark.parametrize("case", case_params(CASES))
async def test_variables_directives(case: Case) -> None:
    await run_case(case)


async def test_skipped_entity_fields_send_no_entity_request() -> None:
    await run_case(CASES[1])
    assert shipping.requests == []
