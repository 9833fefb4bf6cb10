"""Compose subgraph SDLs into a supergraph SDL (Apollo Federation 2 composition, join-spec output).

Stages: read each subgraph (``@link`` imports, Federation 1 upgrade) -> check its field sets -> merge ->
cross-subgraph checks -> satisfiability -> print. Every stage reports all of its errors before stopping.
https://www.apollographql.com/docs/federation/federated-schemas/composition
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gateway.composition.directives import FieldSetUsage, check_field_sets
from gateway.composition.errors import CompositionError
from gateway.composition.inactive_field_sets import drop_inactive_field_sets
from gateway.composition.merge import MergedSupergraph, merge_subgraphs
from gateway.composition.print_supergraph import print_api_schema, print_supergraph
from gateway.composition.satisfiability import check_satisfiability
from gateway.composition.subgraph import SubgraphSchema, read_subgraph, upgrade_fed1_extensions
from gateway.composition.validate import check_api_schema, check_inaccessible

if TYPE_CHECKING:
    from gateway.composition.supergraph import Supergraph

__all__ = ["CompositionResult", "SubgraphSource", "compose"]


@dataclass(frozen=True)
class SubgraphSource:
    """One subgraph to compose: its name, the URL the gateway calls, and its SDL (``_service { sdl }``)."""

    name: str
    url: str
    sdl: str


@dataclass
class CompositionResult:
    """``supergraph_sdl`` when composition succeeded, else ``None`` and every error found."""

    supergraph_sdl: str | None
    errors: list[CompositionError] = field(default_factory=list)
    api_schema_sdl: str | None = None

    @property
    def ok(self) -> bool:
        return self.supergraph_sdl is not None and not self.errors

    def supergraph(self) -> Supergraph:
        """The supergraph model, read back from the SDL by ``read_supergraph``."""
        if self.supergraph_sdl is None:
            raise ValueError("composition failed: " + "; ".join(str(e) for e in self.errors))
        from gateway.composition.read_supergraph import read_supergraph

        return read_supergraph(self.supergraph_sdl)


def _check_names(subgraphs: Sequence[SubgraphSource]) -> list[CompositionError]:
    errors: list[CompositionError] = []
    seen: set[str] = set()
    for s in subgraphs:
        if not s.name or s.name.startswith("_"):
            errors.append(
                CompositionError.of(
                    "INVALID_SUBGRAPH_NAME",
                    f'Invalid subgraph name "{s.name}": use a non-empty name that does not start with "_".',
                    [s.name],
                )
            )
        if s.name in seen:
            errors.append(
                CompositionError.of(
                    "INVALID_SUBGRAPH_NAME",
                    f'A subgraph named "{s.name}" is listed more than once; subgraph names must be unique.',
                    [s.name],
                )
            )
        seen.add(s.name)
    if not subgraphs:
        errors.append(
            CompositionError.of("NO_QUERIES", "No subgraphs to compose: list at least one subgraph.")
        )
    return errors


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Composition allocates millions of small objects that all live until it returns; the cyclic collector,
    triggered by allocation counts, would scan the ever larger heap again and again (most of composition's
    time at 50 subgraphs). Reference counting still frees everything; cycles wait for the next collection."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def compose(subgraphs: Sequence[SubgraphSource]) -> CompositionResult:
    """Compose ``subgraphs`` into a supergraph SDL, or report every composition error."""
    with _collector_paused():
        return _compose(subgraphs)


def _compose(subgraphs: Sequence[SubgraphSource]) -> CompositionResult:
    errors = _check_names(subgraphs)
    if errors:
        return CompositionResult(None, errors)
    schemas: list[SubgraphSchema] = []
    for source in sorted(subgraphs, key=lambda s: s.name):
        schema, problems = read_subgraph(source.name, source.url, source.sdl)
        errors.extend(problems)
        if schema is not None:
            schemas.append(schema)
    if errors:
        return CompositionResult(None, errors)
    upgrade_fed1_extensions(schemas)
    drop_inactive_field_sets(schemas)
    usage: dict[str, FieldSetUsage] = {}
    for schema in schemas:
        usage[schema.name], problems = check_field_sets(schema)
        errors.extend(problems)
    if errors:
        return CompositionResult(None, errors)
    merged, problems = merge_subgraphs(schemas, usage)
    errors.extend(problems)
    if errors:
        return CompositionResult(None, errors)
    errors.extend(check_inaccessible(merged))
    if "Query" not in merged.types:
        errors.append(
            CompositionError.of(
                "NO_QUERIES",
                "No queries found in any subgraph: a supergraph must have a query root type with at least one field.",
            )
        )
    if errors:
        return CompositionResult(None, errors)
    api_sdl = print_api_schema(merged)
    errors.extend(check_api_schema(merged, api_sdl))
    if errors:
        return CompositionResult(None, errors)
    errors.extend(check_satisfiability(merged))
    if errors:
        return CompositionResult(None, errors)
    supergraph_sdl = print_supergraph(merged)
    return CompositionResult(supergraph_sdl, [], api_sdl)


def merged_model(subgraphs: Sequence[SubgraphSource]) -> MergedSupergraph | None:
    """The merged model behind ``compose`` (for tools that need more than SDL), or None on errors."""
    schemas = [
        s for s in (read_subgraph(x.name, x.url, x.sdl)[0] for x in sorted(subgraphs, key=lambda s: s.name))
    ]
    if any(s is None for s in schemas):
        return None
    ok = [s for s in schemas if s is not None]
    upgrade_fed1_extensions(ok)
    drop_inactive_field_sets(ok)
    usage = {s.name: check_field_sets(s)[0] for s in ok}
    merged, problems = merge_subgraphs(ok, usage)
    return None if problems else merged
