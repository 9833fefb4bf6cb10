"""Optimisation passes over fetch steps: merge sibling fetches, drop empty ones.

Steps to the same subgraph at the same response path that wait for the same steps are one request in any good
plan (FEDERATION.md, "Query plans"); the builder merges most of them as it goes, this pass catches the rest.
"""

from __future__ import annotations

from gateway.planning.fetch_steps import FetchStep, _merge_rep

__all__ = ["drop_empty_steps", "merge_sibling_steps", "optimize"]


def merge_sibling_steps(steps: list[FetchStep]) -> list[FetchStep]:
    """Merge steps with the same subgraph, path, kind, group and dependencies into the first of them."""
    kept: list[FetchStep] = []
    by_key: dict[tuple[object, ...], FetchStep] = {}
    renamed: dict[int, int] = {}
    for step in steps:
        step.depends_on = {renamed.get(d, d) for d in step.depends_on}
        key = (step.subgraph, step.path, step.is_entity, step.group, frozenset(step.depends_on))
        if not step.is_entity and step.operation_kind == "mutation":
            kept.append(step)
            continue
        into = by_key.get(key)
        if into is None:
            by_key[key] = step
            kept.append(step)
            continue
        into.selections.merge(step.selections)
        for type_name, rep in step.requires.items():
            _merge_rep(into.requires.setdefault(type_name, {}), rep)
        into.rewrites.update(step.rewrites)
        into.entries.extend(step.entries)
        renamed[step.id] = into.id
    return kept


def drop_empty_steps(steps: list[FetchStep]) -> list[FetchStep]:
    """Drop steps that select nothing and that no other step waits for."""
    needed = {d for s in steps for d in s.depends_on}
    return [s for s in steps if s.id in needed or not s.selections.is_empty()]


def optimize(steps: list[FetchStep]) -> list[FetchStep]:
    return drop_empty_steps(merge_sibling_steps(steps))
