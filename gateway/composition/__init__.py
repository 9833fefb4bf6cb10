"""Composition: subgraph SDLs -> supergraph SDL (join spec), and the supergraph model it is read into."""

from __future__ import annotations

from gateway.composition.compose import CompositionResult, SubgraphSource, compose
from gateway.composition.errors import CompositionError

__all__ = ["CompositionError", "CompositionResult", "SubgraphSource", "compose"]
