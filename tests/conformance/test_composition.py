"""Our composer accepts every subgraph set of the conformance suites (where it refuses one, the suites run on the
reference composer's supergraph instead, and this test names the refusal), and writes the join facts and API
schema that Apollo's own composition (@apollo/composition) writes for it."""

from __future__ import annotations

import pytest

from gateway.composition import compose
from tests.composition.support import assert_joins_like_apollo, install_oracle

from .support import Federation
from .test_reference import CASES

FEDERATIONS: dict[str, Federation] = {c.federation.name: c.federation for c in CASES}


@pytest.mark.parametrize("federation", list(FEDERATIONS.values()), ids=list(FEDERATIONS))
def test_our_composer_accepts_the_subgraph_set(federation: Federation) -> None:
    result = compose(federation.sources())
    if not getattr(federation, "composes", True):
        # A hand-edited supergraph of subgraphs composers rightly refuse (see its module).
        assert not result.ok and {e.code for e in result.errors} == {"SATISFIABILITY_ERROR"}
        return
    assert result.ok, "; ".join(str(e) for e in result.errors)


# Sets whose supergraph is edited by hand (composers refuse them, as checked above) have no join facts to compare.
COMPOSED = {name: f for name, f in FEDERATIONS.items() if getattr(f, "composes", True)}


@pytest.mark.parametrize("federation", list(COMPOSED.values()), ids=list(COMPOSED))
def test_join_facts_match_apollos_composition(federation: Federation) -> None:
    reason = install_oracle()
    if reason is not None:
        pytest.skip(reason)
    sources = federation.sources()
    result = compose(sources)
    assert result.ok and result.supergraph_sdl is not None, "; ".join(str(e) for e in result.errors)
    assert_joins_like_apollo([(s.name, s.sdl) for s in sources], result.supergraph_sdl)
