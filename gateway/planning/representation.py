"""Representation selections as the planner builds them: which fields an ``_entities`` fetch reads from each
object, and from which response key (Apollo Federation spec, ``_entities(representations:)``).

Two ways into one entity step share it only when their representations agree (``can_share``).
"""

from __future__ import annotations

__all__ = ["Conditions", "Representation", "can_share", "merge_representation", "representation_conflict"]

# field name -> (response key the fetched data holds it under, its sub-selection).
Representation = dict[str, tuple[str, "Representation"]]
# Variable conditions (``@skip``/``@include``) a fetch runs under: (variable, include when true).
Conditions = frozenset[tuple[str, bool]]


def merge_representation(into: Representation, other: Representation) -> None:
    """Add the fields of ``other`` to ``into`` (a field both read keeps ``into``'s response key)."""
    for name, (key, sub) in other.items():
        mine = into.get(name)
        if mine is None:
            into[name] = (key, dict(sub))
        else:
            merge_representation(mine[1], sub)


def can_share(
    a: Representation, a_conditions: Conditions, b: Representation, b_conditions: Conditions
) -> bool:
    """Whether representations ``a`` (a step running under ``a_conditions``) and ``b`` can be one step's.

    They must not read one field from two response keys (``representation_conflict``). And a merged step runs
    under the weaker of the two conditions, so every field its representation reads must be fetched then: the
    more conditional side may only need fields the other side needs too (``{ products { cost } products
    @skip(if: $s) { heaviest } }``: heaviest's requirement is fetched only when $s is false, so it cannot join
    cost's representation, or every entity would lose cost when $s is true).
    """
    if representation_conflict(a, b):
        return False
    if a_conditions == b_conditions:
        return True
    if a_conditions <= b_conditions:
        return _within(b, a)
    if b_conditions <= a_conditions:
        return _within(a, b)
    return a == b


def _within(a: Representation, b: Representation) -> bool:
    """Whether every field ``a`` reads, ``b`` reads too (from the same response key)."""
    for name, (key, sub) in a.items():
        mine = b.get(name)
        if mine is None or mine[0] != key or not _within(sub, mine[1]):
            return False
    return True


def representation_conflict(a: Representation, b: Representation) -> bool:
    """Whether two representation selections read one field from different response keys (so the field has
    different arguments in each): they cannot share one representation."""
    for name, (key, sub) in b.items():
        mine = a.get(name)
        if mine is not None and (mine[0] != key or representation_conflict(mine[1], sub)):
            return True
    return False
