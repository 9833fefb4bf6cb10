"""Optimisation passes over fetch steps: merge sibling fetches, fold leaf fetches into later ones, drop empties.

Steps to the same subgraph at the same response path that wait for the same steps are one request in any good
plan (FEDERATION.md, "Query plans"); the builder merges most of them as it goes, ``merge_sibling_steps``
catches the rest. ``merge_into_later_steps`` saves a fetch without adding depth: a fetch nothing waits for
joins a later fetch to the same subgraph and path that runs after everything it needed anyway.
"""

from __future__ import annotations

from gateway.planning.fetch_step import FetchStep
from gateway.planning.representation import can_share, merge_representation

__all__ = ["drop_empty_steps", "merge_into_later_steps", "merge_sibling_steps", "optimize"]


def merge_sibling_steps(steps: list[FetchStep]) -> list[FetchStep]:
    """Merge steps with the same subgraph, path, kind, group and dependencies into the first of them."""
    kept: list[FetchStep] = []
    by_key: dict[tuple[object, ...], list[FetchStep]] = {}
    renamed: dict[int, int] = {}
    for step in steps:
        step.depends_on = {renamed.get(d, d) for d in step.depends_on}
        key = (step.subgraph, step.path, step.is_entity, step.group, frozenset(step.depends_on))
        if not step.is_entity and step.operation_kind == "mutation":
            kept.append(step)
            continue
        candidates = by_key.setdefault(key, [])
        into = next((c for c in candidates if _compatible(c, step)), None)
        if into is None:
            candidates.append(step)
            kept.append(step)
            continue
        _absorb(into, step)
        renamed[step.id] = into.id
    return kept


def _compatible(into: FetchStep, step: FetchStep) -> bool:
    """Whether two entity steps can share representations (``can_share`` for every type both hold)."""
    return all(
        can_share(into.requires[t], into.conditions, rep, step.conditions)
        for t, rep in step.requires.items()
        if t in into.requires
    )


def _absorb(into: FetchStep, step: FetchStep) -> None:
    into.selections.merge(step.selections)
    for type_name, rep in step.requires.items():
        merge_representation(into.requires.setdefault(type_name, {}), rep)
    into.rewrites.update(step.rewrites)
    into.entries.extend(step.entries)


def merge_into_later_steps(steps: list[FetchStep]) -> list[FetchStep]:
    """Fold an entity step that no step waits for into a later one with the same subgraph and path whose
    dependencies (with their ancestors) cover the folded step's: same sequential depth, one fetch fewer."""
    ancestors: dict[int, set[int]] = {}
    for step in steps:
        ancestors[step.id] = set(step.depends_on).union(*(ancestors.get(d, set()) for d in step.depends_on))
    waited_for = {d for s in steps for d in s.depends_on}
    folded: set[int] = set()
    for step in steps:
        if not step.is_entity or step.id in waited_for:
            continue
        for later in steps:
            if (
                later.id > step.id
                and later.id not in folded
                and later.is_entity
                and later.subgraph == step.subgraph
                and later.path == step.path
                and later.group == step.group
                and step.id not in ancestors[later.id]
                and step.depends_on <= ancestors[later.id]
                and _compatible(later, step)
            ):
                _absorb(later, step)
                folded.add(step.id)
                break
    return [s for s in steps if s.id not in folded]


def drop_empty_steps(steps: list[FetchStep]) -> list[FetchStep]:
    """Drop steps that select nothing and that no other step waits for."""
    needed = {d for s in steps for d in s.depends_on}
    return [s for s in steps if s.id in needed or not s.selections.is_empty()]


def optimize(steps: list[FetchStep]) -> list[FetchStep]:
    kept = drop_empty_steps(merge_into_later_steps(merge_sibling_steps(steps)))
    # Every step's entries are final now.
    for step in kept:
        if step.is_entity:
            step.settle_conditions()
    return kept
